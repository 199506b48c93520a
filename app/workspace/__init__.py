"""The product's own model of a person's Google Workspace, and the two ways of reaching it.

Tools, the digest and meeting prep speak only of `Message`, `Thread`, `Label`, … (`mail.py`) and call
a `Mail` backend. Two backends produce that model: one over Google's REST APIs (`rest_mail.py`) and
one over Google's Workspace MCP servers (`mcp_mail.py`); `access.py` picks one at start-up from
`GOOGLE_ACCESS`, and nothing above it knows which.
"""
