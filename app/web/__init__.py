"""Web pages and downloads served next to the MCP endpoint (the Claude Desktop installer)."""
