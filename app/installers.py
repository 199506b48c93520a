"""The one-line Claude Desktop installers as people type them, and how to say when their token ends.

The installers (`/install.sh`, `/install.ps1`, see `app.web.install`) issue personal access tokens
that last `SESSION_TTL_DAYS`; running one again renews the token. Pages and tools say so the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

RENEW_WITHIN = timedelta(days=7)  # a personal token this close to its end is called out


@dataclass(frozen=True)
class InstallCommands:
    """The install and uninstall lines for one server, the visitor's system first."""

    windows_first: bool
    sh: str
    sh_uninstall: str
    ps: str
    ps_uninstall: str


def install_commands(public_url: str, user_agent: str = "") -> InstallCommands:
    """The lines for the server at `public_url`; Windows first when the browser says Windows."""
    return InstallCommands(
        windows_first="windows" in user_agent.lower(),
        sh=f"curl -sSL {public_url}/install.sh | bash",
        sh_uninstall=f"curl -sSL {public_url}/install.sh | bash -s -- --uninstall",
        ps=f"irm {public_url}/install.ps1 | iex",
        ps_uninstall=f"& ([scriptblock]::Create((irm {public_url}/install.ps1))) -Uninstall",
    )


def time_left(remaining: timedelta) -> str:
    """`in 3 days`, `in 1 day`, `in 5 hours`, `within the hour`, or `already` once past."""
    if remaining <= timedelta(0):
        return "already"
    if remaining >= timedelta(days=1):
        days = round(remaining / timedelta(days=1))
        return f"in {days} day{'s' if days != 1 else ''}"
    hours = round(remaining / timedelta(hours=1))
    return f"in {hours} hour{'s' if hours != 1 else ''}" if hours else "within the hour"
