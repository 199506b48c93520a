"""The reference: a bare MCP SDK server with one echo tool, stateless with JSON responses.

Run: python -m bench.bare_server PORT
"""

import sys

import uvicorn
from mcp.server.mcpserver import MCPServer

mcp = MCPServer("bare")


@mcp.tool()
async def echo(text: str = "") -> str:
    """Echo the text back."""
    return text


app = mcp.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
