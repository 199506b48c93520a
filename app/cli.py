"""The `switchboard` command: serve, sandbox, gen-key, rotate-keys, migrate, users."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from pydantic import ValidationError

from app.auth.revocations import Revocations
from app.config import Settings
from app.crypto import KeyRing, generate_key
from app.logs import configure_logging
from app.storage.db import create_engine, migrate
from app.storage.store import Store

T = TypeVar("T")
EXIT_CONFIG = 2
GRACEFUL_SHUTDOWN_SECONDS = 20


class ConfigError(Exception):
    """The configuration cannot work; each line of the message says what to fix."""


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, turning validation errors into one line per variable."""
    try:
        settings = Settings(**overrides)  # pyright: ignore[reportArgumentType]
    except ValidationError as exc:
        lines: list[str] = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "SETTINGS"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise ConfigError("\n".join(lines)) from None
    configure_logging(settings.log_level, settings.log_format)
    return settings


def sandbox_settings(settings: Settings, upstream: dict[str, str]) -> Settings:
    """Fill in everything `serve --sandbox` needs: sandbox upstreams, local secrets, its own database."""
    data_dir = Path("data")
    data_dir.mkdir(exist_ok=True)
    secrets_file = data_dir / "sandbox-secrets.json"
    if secrets_file.exists():
        local = json.loads(secrets_file.read_text())
    else:
        local = {"token_encryption_key": generate_key(), "session_secret": generate_key()}
        secrets_file.write_text(json.dumps(local))
        secrets_file.chmod(0o600)
    update: dict[str, object] = {key.lower(): value for key, value in upstream.items()}
    update["sandbox"] = True
    for name in ("token_encryption_key", "session_secret"):
        if name not in settings.model_fields_set:
            update[name] = local[name]
    fields = settings.model_fields_set
    if "database_url" not in fields:
        update["database_url"] = "sqlite+aiosqlite:///./data/sandbox.db"
    merged = settings.model_dump(include=fields) | update
    return load_settings(**merged)


def _run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coro_factory()

    return asyncio.run(main())


async def _with_store(settings: Settings, action: Callable[[Store], Awaitable[T]]) -> T:
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        return await action(Store(engine, KeyRing(settings.encryption_keys)))
    finally:
        await engine.dispose()


def _need_key(settings: Settings) -> None:
    if not settings.encryption_keys:
        raise ConfigError("TOKEN_ENCRYPTION_KEY is missing: run `switchboard gen-key` and set the printed value.")


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app

    settings = load_settings(**({"port": args.port} if args.port else {}))
    sandbox = None
    if args.sandbox:
        sandbox = _sandbox_server().SandboxServer(port=args.sandbox_port)
        sandbox.start()
        settings = sandbox_settings(settings, sandbox.settings_env())
        logging.getLogger(__name__).info(
            "sandbox mode: open %s and sign in as a sandbox person, e.g. alice@acme.example "
            "(sandbox Google, Gmail, Calendar and Fathom at %s)",
            settings.public_url,
            sandbox.base_url,
        )
    else:
        problems = settings.problems()
        if problems:
            raise ConfigError("\n".join(problems))
    if not settings.allowed_email_domains and not settings.allowed_emails:
        logging.getLogger(__name__).warning(
            "ALLOWED_EMAIL_DOMAINS and ALLOWED_EMAILS are both empty: ANY Google account can sign in"
        )
    # The database driver answers from a worker thread; a short GIL switch interval stops the
    # event loop from making it wait 5 ms per hand-off under load.
    sys.setswitchinterval(0.0005)
    try:
        uvicorn.run(
            create_app(settings),
            host=args.host,
            port=settings.port,
            proxy_headers=False,  # the app believes forwarded headers only from TRUSTED_PROXIES
            log_level=settings.log_level.lower(),
            log_config=None,  # keep our handler: structured, redacted
            access_log=False,  # our request log omits query strings, which can carry OAuth codes
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    finally:
        if sandbox is not None:
            sandbox.stop()
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    _sandbox_server().run_sandbox(args.host, args.port)
    return 0


def _sandbox_server() -> ModuleType:
    """The sandbox's server module; it lives in the source checkout and is not part of the installed package."""
    try:
        return importlib.import_module("sandbox.server")
    except ModuleNotFoundError as error:
        if error.name not in ("sandbox", "sandbox.server"):
            raise
        raise ConfigError(
            "The sandbox (the local Google and Fathom stand-in) is not part of the installed package: "
            "run `uv run switchboard serve --sandbox` from a checkout of the Switchboard repository."
        ) from None


def cmd_gen_key(_args: argparse.Namespace) -> int:
    _out(generate_key())
    return 0


def cmd_migrate(_args: argparse.Namespace) -> int:
    settings = load_settings()

    async def go() -> None:
        engine = create_engine(settings.database_url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    _run(go)
    _out("database schema is up to date")
    return 0


def cmd_rotate_keys(_args: argparse.Namespace) -> int:
    settings = load_settings()
    _need_key(settings)
    counts = _run(lambda: _with_store(settings, lambda store: store.rotate_secrets()))
    for table, count in counts.items():
        _out(f"{table}: {count.rotated} re-encrypted, {count.already_current} already under the first key")
    _out("done: keys after the first in TOKEN_ENCRYPTION_KEY can now be removed")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from app.storage.backup import BackupError, backup_sqlite

    settings = load_settings()
    try:
        size = backup_sqlite(settings.database_url, Path(args.path))
    except BackupError as exc:
        raise ConfigError(str(exc)) from None
    _out(f"backed up to {args.path} ({size} bytes); restore: stop the server, copy it over the database file")
    return 0


def cmd_users_list(_args: argparse.Namespace) -> int:
    settings = load_settings()
    _need_key(settings)
    users = _run(lambda: _with_store(settings, lambda store: store.list_users()))
    if not users:
        _out("no users yet")
    for user in users:
        seen = user.last_active_at.isoformat(timespec="minutes") if user.last_active_at else "never"
        _out(f"{user.email}\t{user.status}\tlast active {seen}")
    return 0


def cmd_users_revoke(args: argparse.Namespace) -> int:
    settings = load_settings()
    _need_key(settings)

    async def revoke(store: Store) -> int | None:
        user = await store.get_user_by_email(args.email)
        return None if user is None else await Revocations(lambda: store).revoke_user(user.id)

    count = _run(lambda: _with_store(settings, revoke))
    if count is None:
        _err(f"no user with email {args.email}")
        return 1
    _out(f"revoked {count} token(s) of {args.email}; they must sign in again to reconnect")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="switchboard",
        description="Switchboard: one remote MCP server for your team's Gmail, Google Calendar and Fathom. "
        "Configuration comes from environment variables (see .env.example).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the server", description="Run the HTTP server (MCP at /mcp).")
    serve.add_argument("--host", default="0.0.0.0", help="interface to listen on (default 0.0.0.0)")  # noqa: S104
    serve.add_argument("--port", type=int, default=None, help="port (default: $PORT, else 8080)")
    serve.add_argument(
        "--sandbox",
        action="store_true",
        help="use the sandbox Google and Fathom with sample data (from a source checkout); no credentials needed",
    )
    serve.add_argument("--sandbox-port", type=int, default=0, help="sandbox port (default: any free port)")
    serve.set_defaults(func=cmd_serve)

    sandbox = sub.add_parser(
        "sandbox",
        help="run only the sandbox upstreams (from a source checkout)",
        description="Serve the sandbox Google (OIDC, Gmail, Calendar) and Fathom APIs with sample data.",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8090, help="port (default 8090)")
    sandbox.set_defaults(func=cmd_sandbox)

    gen_key = sub.add_parser(
        "gen-key",
        help="print a new encryption key",
        description="Print a new random key for TOKEN_ENCRYPTION_KEY or SESSION_SECRET.",
    )
    gen_key.set_defaults(func=cmd_gen_key)

    rotate = sub.add_parser(
        "rotate-keys",
        help="re-encrypt stored secrets under the first key",
        description="Re-encrypt every stored secret under the first key of TOKEN_ENCRYPTION_KEY. Put the new "
        "key first (NEW,OLD), deploy, run this, then drop OLD. Idempotent; safe while the server runs.",
    )
    rotate.set_defaults(func=cmd_rotate_keys)

    mig = sub.add_parser(
        "migrate", help="apply database migrations", description="Apply database migrations (serve does too)."
    )
    mig.set_defaults(func=cmd_migrate)

    backup = sub.add_parser(
        "backup",
        help="copy the SQLite database consistently while serving",
        description="Write a consistent copy of the SQLite database to PATH (online backup; safe while the "
        "server runs). For PostgreSQL use pg_dump or your host's backups (see README).",
    )
    backup.add_argument("path", help="file to write, e.g. /data/backup-2026-11-25.db")
    backup.set_defaults(func=cmd_backup)

    users = sub.add_parser("users", help="list or revoke users", description="List users or revoke a user.")
    users_sub = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    users_list = users_sub.add_parser("list", help="list users", description="List users and their status.")
    users_list.set_defaults(func=cmd_users_list)
    users_revoke = users_sub.add_parser(
        "revoke",
        help="revoke every token of a user",
        description="Revoke every OAuth and personal token of the user with this email.",
    )
    users_revoke.add_argument("email")
    users_revoke.set_defaults(func=cmd_users_revoke)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `switchboard` console script."""
    args = build_parser().parse_args(argv)
    configure_logging("INFO", "auto")
    try:
        return int(args.func(args))
    except ConfigError as exc:
        _err("Switchboard cannot start:")
        for line in str(exc).splitlines():
            _err(f"  - {line}")
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
