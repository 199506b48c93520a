"""`GET /install.sh` and `GET /install.ps1`: the Claude Desktop installers, with this server's URL filled in.

Both scripts sign the person in with the device flow (`app.auth.device`), name the token after the
computer, and point Claude Desktop at `$PUBLIC_URL/mcp` through `mcp-remote`, pinned here so every
install runs the version we test. They edit Claude Desktop's config with the same node program
(`claude_config.js`), and both can uninstall.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.config import Settings

MCP_REMOTE_VERSION = "0.15.1"
# PowerShell ends a single-quoted string at any of these; inside one, each is written twice.
POWERSHELL_QUOTES = "'\u2018\u2019\u201a\u201b"

_SCRIPTS = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    autoescape=False,  # noqa: S701  # scripts: values are quoted for their shell instead
    keep_trailing_newline=True,
    undefined=StrictUndefined,
)


def _printable(public_url: str) -> str:
    return "".join(ch for ch in public_url if ch.isprintable()).rstrip("/")


def powershell_quote(value: str) -> str:
    """`value` as a PowerShell single-quoted (verbatim) string."""
    return "'" + "".join(ch * 2 if ch in POWERSHELL_QUOTES else ch for ch in value) + "'"


def render_install_script(public_url: str) -> str:
    """The bash installer for the server at `public_url`, every substituted value shell-quoted."""
    return _SCRIPTS.get_template("install.sh.j2").render(
        public_url=shlex.quote(_printable(public_url)), mcp_remote_version=shlex.quote(MCP_REMOTE_VERSION)
    )


def render_powershell_script(public_url: str) -> str:
    """The PowerShell installer for the server at `public_url`, every substituted value quoted for PowerShell."""
    url = _printable(public_url)
    return _SCRIPTS.get_template("install.ps1.j2").render(
        public_url=powershell_quote(url),
        public_url_text=url,  # in comments only: a printable line cannot leave its comment
        mcp_remote_version=powershell_quote(MCP_REMOTE_VERSION),
    )


def install_routes(settings: Settings) -> list[Route]:
    async def install_sh(_request: Request) -> Response:
        return Response(
            render_install_script(settings.public_url),
            media_type="text/x-shellscript",
            headers={"Cache-Control": "no-cache"},
        )

    async def install_ps1(_request: Request) -> Response:
        return Response(
            render_powershell_script(settings.public_url),
            media_type="text/plain; charset=utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    return [
        Route("/install.sh", install_sh, methods=["GET", "HEAD"]),
        Route("/install.ps1", install_ps1, methods=["GET", "HEAD"]),
    ]
