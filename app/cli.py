"""The `switchboard` command: serve, sandbox, gen-key, rotate-keys, migrate, backup, users."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy.engine import make_url

from app.auth.revocations import Revocations
from app.config import Settings
from app.crypto import KeyRing, generate_key
from app.logs import configure_logging
from app.sandbox_mode import (
    SANDBOX_SECRETS,
    SandboxModeError,
    announce_sandbox,
    sandbox_overrides,
    sandbox_server_module,
    start_sandbox,
    stop_sandbox_on_sigterm,
)
from app.storage.db import create_engine, migrate
from app.storage.store import Store

T = TypeVar("T")
EXIT_CONFIG = 2
GRACEFUL_SHUTDOWN_SECONDS = 20


class ConfigError(Exception):
    """The configuration cannot work; each line of the message says what to fix."""


class CommandError(Exception):
    """A command other than starting the server cannot do its work; the message says why and what to do."""


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


def sandbox_settings(settings: Settings, upstream: dict[str, str] | None = None, admin: str | None = None) -> Settings:
    """The settings of `serve --sandbox` (see `sandbox_overrides`)."""
    return load_settings(**sandbox_overrides(settings, upstream, admin))


def _run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coro_factory()

    return asyncio.run(main())


async def _with_store(settings: Settings, action: Callable[[Store], Awaitable[T]]) -> T:
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        return await action(Store(engine, KeyRing(settings.encryption_keys), settings.google_client_id))
    finally:
        await engine.dispose()


def _need_key(settings: Settings, sandbox: bool) -> None:
    if settings.encryption_keys:
        return
    message = (
        "TOKEN_ENCRYPTION_KEY is not set: run this with the TOKEN_ENCRYPTION_KEY and DATABASE_URL the server "
        "uses (a new key cannot read what the server stored)"
    )
    if not sandbox and SANDBOX_SECRETS.exists():
        message += "; for the data of `switchboard serve --sandbox` here, add --sandbox"
    raise CommandError(message)


def _sqlite_file(settings: Settings) -> Path | None:
    """The SQLite database file the settings name, or None for PostgreSQL and in-memory databases."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database or "")


def _need_database(settings: Settings, sandbox: bool) -> None:
    """Refuse to work on a SQLite database that does not exist yet rather than create an empty one."""
    path = _sqlite_file(settings)
    if path is None or path.exists():
        return
    if sandbox:
        raise CommandError(f"there is no database at {path}: run `switchboard serve --sandbox` here first")
    raise CommandError(
        f"there is no database at {path}: set DATABASE_URL to the server's database, "
        "or add --sandbox for the one `switchboard serve --sandbox` uses"
    )


def database_settings(args: argparse.Namespace) -> Settings:
    """Settings for a command that opens the database: the environment's, or the sandbox's with --sandbox."""
    settings = load_settings()
    return sandbox_settings(settings) if args.sandbox else settings


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app

    settings = load_settings(**({"port": args.port} if args.port else {}))
    sandbox = None
    sample_fathom_keys: dict[str, str] = {}
    if args.reset_sandbox and not args.sandbox:
        raise ConfigError("--reset-sandbox only goes with --sandbox")
    if args.sandbox:
        sandbox = start_sandbox(args.sandbox_port, reset=args.reset_sandbox)
        people = list(sandbox.world.people.values())
        chosen_admins = "admin_emails" in settings.model_fields_set
        settings = sandbox_settings(settings, sandbox.settings_env(fathom_oauth=True), admin=people[0].email)
        sample_fathom_keys = {person.email: person.fathom_key for person in people if person.fathom_key}
        announce_sandbox(settings, sandbox, chosen_admins)
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
    if sandbox is not None:
        stop_sandbox_on_sigterm(sandbox)
    try:
        uvicorn.run(
            create_app(settings, sample_fathom_keys=sample_fathom_keys),
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
    sandbox_server_module().run_sandbox(args.host, args.port)
    return 0


def cmd_gen_key(_args: argparse.Namespace) -> int:
    _out(generate_key())
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = database_settings(args)
    path = _sqlite_file(settings)
    if path is not None and not path.exists():
        unset = "" if args.sandbox or "database_url" in settings.model_fields_set else " (DATABASE_URL is not set)"
        _out(f"creating a new SQLite database at {path}{unset}")

    async def go() -> None:
        engine = create_engine(settings.database_url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    _run(go)
    _out("database schema is up to date")
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    settings = database_settings(args)
    _need_key(settings, args.sandbox)
    _need_database(settings, args.sandbox)
    counts = _run(lambda: _with_store(settings, lambda store: store.rotate_secrets()))
    for table, count in counts.items():
        _out(f"{table}: {count.rotated} re-encrypted, {count.already_current} already under the first key")
    _out("done: keys after the first in TOKEN_ENCRYPTION_KEY can now be removed")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from app.storage.backup import BackupError, backup_sqlite

    settings = database_settings(args)
    try:
        size = backup_sqlite(settings.database_url, Path(args.path))
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    _out(f"backed up to {args.path} ({size} bytes); restore: stop the server, copy it over the database file")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    settings = database_settings(args)
    _need_key(settings, args.sandbox)
    _need_database(settings, args.sandbox)
    users = _run(lambda: _with_store(settings, lambda store: store.list_users()))
    if not users:
        _out("no users yet")
    for user in users:
        seen = user.last_active_at.isoformat(timespec="minutes") if user.last_active_at else "never"
        _out(f"{user.email}\t{user.status}\tlast active {seen}")
    return 0


def cmd_users_revoke(args: argparse.Namespace) -> int:
    settings = database_settings(args)
    _need_key(settings, args.sandbox)
    _need_database(settings, args.sandbox)

    async def revoke(store: Store) -> int | None:
        user = await store.get_user_by_email(args.email)
        return None if user is None else await Revocations(lambda: store).revoke_user(user.id)

    count = _run(lambda: _with_store(settings, revoke))
    if count is None:
        _err(f"no user with email {args.email}")
        return 1
    _out(f"revoked {count} token(s) of {args.email}; they must sign in again to reconnect")
    return 0


SANDBOX_DATA_HELP = (
    "work on the data of `switchboard serve --sandbox` in this directory (data/sandbox.db, with the secrets in "
    "data/sandbox-secrets.json)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="switchboard",
        description="Switchboard: one remote MCP server for your team's Gmail, Google Calendar and Fathom. "
        "Configuration comes from environment variables (see .env.example).",
    )
    parser.add_argument("--version", action="version", version=f"switchboard {version('switchboard')}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Every command that opens the database can open the sandbox's instead.
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--sandbox", action="store_true", help=SANDBOX_DATA_HELP)

    serve = sub.add_parser("serve", help="run the server", description="Run the HTTP server (MCP at /mcp).")
    serve.add_argument("--host", default="0.0.0.0", help="interface to listen on (default 0.0.0.0)")  # noqa: S104
    serve.add_argument("--port", type=int, default=None, help="port (default: $PORT, else 8080)")
    serve.add_argument(
        "--sandbox",
        action="store_true",
        help="use the sandbox Google and Fathom with sample data (from a source checkout); no credentials needed. "
        "Its data stays in ./data (sandbox.db, sandbox-secrets.json, sandbox-state.json) across restarts; "
        "the first sandbox person is the admin unless ADMIN_EMAILS is set",
    )
    serve.add_argument("--sandbox-port", type=int, default=0, help="sandbox port (default: any free port)")
    serve.add_argument(
        "--reset-sandbox",
        action="store_true",
        help="with --sandbox: forget the sandbox's mail, events and Google sign-ins (data/sandbox-state.json) and "
        "seed it afresh around now; everyone then reconnects Google by signing in again",
    )
    serve.set_defaults(func=cmd_serve, starts_server=True)

    sandbox = sub.add_parser(
        "sandbox",
        help="run only the sandbox upstreams (from a source checkout)",
        description="Serve the sandbox Google (OIDC, Gmail, Calendar) and Fathom APIs with sample data.",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8090, help="port (default 8090)")
    sandbox.set_defaults(func=cmd_sandbox, starts_server=True)

    gen_key = sub.add_parser(
        "gen-key",
        help="print a new encryption key",
        description="Print a new random key for TOKEN_ENCRYPTION_KEY or SESSION_SECRET.",
    )
    gen_key.set_defaults(func=cmd_gen_key)

    rotate = sub.add_parser(
        "rotate-keys",
        parents=[database],
        help="re-encrypt stored secrets under the first key",
        description="Re-encrypt every stored secret under the first key of TOKEN_ENCRYPTION_KEY. Put the new "
        "key first (NEW,OLD), deploy, run this, then drop OLD. Idempotent; safe while the server runs.",
    )
    rotate.set_defaults(func=cmd_rotate_keys)

    mig = sub.add_parser(
        "migrate",
        parents=[database],
        help="apply database migrations",
        description="Apply database migrations (serve does too); creates the database if there is none yet.",
    )
    mig.set_defaults(func=cmd_migrate)

    backup = sub.add_parser(
        "backup",
        parents=[database],
        help="copy the SQLite database consistently while serving",
        description="Write a consistent copy of the SQLite database to PATH (online backup; safe while the "
        "server runs). PATH's directory must exist. For PostgreSQL use pg_dump or your host's backups (see README).",
    )
    backup.add_argument("path", help="file to write, e.g. /data/backup-2026-11-25.db")
    backup.set_defaults(func=cmd_backup)

    users = sub.add_parser("users", help="list or revoke users", description="List users or revoke a user.")
    users_sub = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    users_list = users_sub.add_parser(
        "list", parents=[database], help="list users", description="List users and their status."
    )
    users_list.set_defaults(func=cmd_users_list)
    users_revoke = users_sub.add_parser(
        "revoke",
        parents=[database],
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
    except (ConfigError, CommandError, SandboxModeError) as exc:
        lines = str(exc).splitlines()
        if getattr(args, "starts_server", False):
            _err("Switchboard cannot start:")
        elif len(lines) == 1:
            _err(f"{_command_name(args)}: {lines[0]}")
            return EXIT_CONFIG
        else:
            _err(f"{_command_name(args)} cannot run:")
        for line in lines:
            _err(f"  - {line}")
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


def _command_name(args: argparse.Namespace) -> str:
    action = getattr(args, "users_command", None)
    return " ".join(["switchboard", args.command, *([action] if action else [])])


if __name__ == "__main__":
    sys.exit(main())
