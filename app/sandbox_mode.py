"""What `switchboard serve --sandbox` adds around the server, and what `--sandbox` means to the other commands.

The sandbox (the local Google and Fathom stand-in) lives in the source checkout, not in this
package, so it is imported only here and only when asked for. A sandbox run keeps everything in
`./data`: the app's database, its local secrets and the stand-in's saved world.
"""

from __future__ import annotations

import importlib
import json
import logging
import signal
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from app.config import Settings
from app.crypto import generate_key

SANDBOX_DATA = Path("data")
SANDBOX_SECRETS = SANDBOX_DATA / "sandbox-secrets.json"
SANDBOX_STATE = SANDBOX_DATA / "sandbox-state.json"
SANDBOX_DATABASE = "sqlite+aiosqlite:///./data/sandbox.db"

logger = logging.getLogger(__name__)


class SandboxModeError(Exception):
    """The sandbox cannot be used here; the message says why and what to do."""


def sandbox_overrides(
    settings: Settings, upstream: dict[str, str] | None = None, admin: str | None = None
) -> dict[str, object]:
    """The settings values of `serve --sandbox`: sandbox upstreams, local secrets, its own database.

    With `upstream` (a sandbox is starting) missing secrets are made; without, the command works
    on the data a `serve --sandbox` run left here, and there must be some. `admin` becomes the
    admin unless ADMIN_EMAILS is set. What the environment sets explicitly wins.
    """
    if SANDBOX_SECRETS.exists():
        local = json.loads(SANDBOX_SECRETS.read_text())
    elif upstream is None:
        raise SandboxModeError(
            f"there is no sandbox here ({SANDBOX_SECRETS} does not exist): "
            "run `switchboard serve --sandbox` in this directory first"
        )
    else:
        SANDBOX_DATA.mkdir(exist_ok=True)
        local = {"token_encryption_key": generate_key(), "session_secret": generate_key()}
        SANDBOX_SECRETS.write_text(json.dumps(local))
        SANDBOX_SECRETS.chmod(0o600)
    fields = settings.model_fields_set
    update: dict[str, object] = {key.lower(): value for key, value in (upstream or {}).items()}
    update["sandbox"] = True
    for name in ("token_encryption_key", "session_secret"):
        if name not in fields:
            update[name] = local[name]
    if "database_url" not in fields:
        update["database_url"] = SANDBOX_DATABASE
    if admin is not None and "admin_emails" not in fields:
        update["admin_emails"] = [admin]
    return settings.model_dump(include=fields) | update


def sandbox_server_module() -> ModuleType:
    """The sandbox's server module; it lives in the source checkout and is not part of the installed package."""
    try:
        return importlib.import_module("sandbox.server")
    except ModuleNotFoundError as error:
        if error.name not in ("sandbox", "sandbox.server"):
            raise
        raise SandboxModeError(
            "The sandbox (the local Google and Fathom stand-in) is not part of the installed package: "
            "run `uv run switchboard serve --sandbox` from a checkout of the Switchboard repository."
        ) from None


def start_sandbox(port: int, *, reset: bool) -> Any:
    """The sandbox of `serve --sandbox`, serving the world saved in ./data (or a newly seeded one)."""
    server_module = sandbox_server_module()
    state_error: type[Exception] = importlib.import_module("sandbox.persistence").StateError
    SANDBOX_DATA.mkdir(exist_ok=True)
    if reset:
        SANDBOX_STATE.unlink(missing_ok=True)
    try:
        sandbox = server_module.SandboxServer(port=port, state_file=SANDBOX_STATE)
    except state_error as exc:
        raise SandboxModeError(
            f"the sandbox's saved state {SANDBOX_STATE} cannot be read: {exc}; "
            "start with --reset-sandbox to seed a new sandbox (everyone then signs in again)"
        ) from None
    sandbox.start()
    return sandbox


def announce_sandbox(settings: Settings, sandbox: Any, chosen_admins: bool) -> None:
    """Log where to sign in, which sandbox this is, and who is admin (never the sample keys)."""
    first = next(iter(sandbox.world.people))
    logger.info(
        "sandbox mode: open %s and sign in as a sandbox person, e.g. %s "
        "(sandbox Google, Gmail, Calendar and Fathom at %s)",
        settings.public_url,
        first,
        sandbox.base_url,
    )
    laid_out = sandbox.world.anchor.strftime("%Y-%m-%d %H:%M UTC")
    if sandbox.resumed:
        logger.info(
            "sandbox mode: resumed the sandbox saved in %s (sample data laid out around %s); "
            "--reset-sandbox starts a new one",
            SANDBOX_STATE,
            laid_out,
        )
    else:
        logger.info("sandbox mode: seeded a new sandbox around %s, kept in %s", laid_out, SANDBOX_STATE)
    if chosen_admins:
        logger.info("sandbox mode: admins (ADMIN_EMAILS): %s", ", ".join(settings.admin_emails) or "nobody")
    else:
        logger.info("sandbox mode: admin: %s (set ADMIN_EMAILS to choose others)", ", ".join(settings.admin_emails))


def stop_sandbox_on_sigterm(sandbox: Any) -> None:
    """Stop (and so save) the sandbox when SIGTERM ends the server.

    uvicorn shuts the app down gracefully on SIGTERM and then raises the signal again with the
    previous handler, which by default ends the process before any `finally` runs.
    """

    def stop_then_exit(signum: int, _frame: FrameType | None) -> None:
        sandbox.stop()
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)

    signal.signal(signal.SIGTERM, stop_then_exit)
