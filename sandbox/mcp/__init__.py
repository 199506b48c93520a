"""The sandbox's stand-ins for Google's remote MCP servers (Gmail, Calendar, People), over the same world.

`https://{product}mcp.googleapis.com/mcp/v1` is served at `{sandbox}/{product}mcp/mcp/v1` (and
`/mcp/v1self` where Google has it): the prefix stands in for Google's host, the path is Google's.
"""

from __future__ import annotations

from starlette.routing import Mount

from sandbox.gmail.store import GmailState
from sandbox.mcp.calendar_tools import calendar_product
from sandbox.mcp.gmail_tools import gmail_product
from sandbox.mcp.people import people_product
from sandbox.mcp.server import Served, product_routes
from sandbox.world import World

__all__ = ["Served", "create_mcp_servers"]


def create_mcp_servers(world: World, base_url: str, gmail: GmailState) -> Served:
    """The MCP servers' mounts; the app serving them must run `served.managers` in its lifespan."""
    served = Served()
    for product in (gmail_product(gmail), calendar_product(world), people_product(world)):
        served.routes.append(Mount(f"/{product.name}mcp", routes=product_routes(world, product, base_url, served)))
    return served
