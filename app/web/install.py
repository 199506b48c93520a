"""`GET /install.sh`: the Claude Desktop installer, with this server's URL filled in.

The script signs the person in with the device flow (`app.auth.device`) and points Claude Desktop
at `$PUBLIC_URL/mcp` through `mcp-remote`, pinned here so every install runs the version we test.
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
SCRIPT_TEMPLATE = "install.sh.j2"

_SCRIPTS = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    autoescape=False,  # noqa: S701  # a shell script: values are shell-quoted with shlex instead
    keep_trailing_newline=True,
    undefined=StrictUndefined,
)


def render_install_script(public_url: str) -> str:
    """The installer for the server at `public_url`, every substituted value shell-quoted."""
    url = "".join(ch for ch in public_url if ch.isprintable()).rstrip("/")
    return _SCRIPTS.get_template(SCRIPT_TEMPLATE).render(
        public_url=shlex.quote(url), mcp_remote_version=shlex.quote(MCP_REMOTE_VERSION)
    )


def install_routes(settings: Settings) -> list[Route]:
    async def install_sh(_request: Request) -> Response:
        return Response(
            render_install_script(settings.public_url),
            media_type="text/x-shellscript",
            headers={"Cache-Control": "no-cache"},
        )

    return [Route("/install.sh", install_sh, methods=["GET", "HEAD"])]
