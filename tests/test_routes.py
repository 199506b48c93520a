"""Routing: /mcp answered where Claude sends it, protocol metadata served by name, 404s by Starlette."""

from __future__ import annotations

from pathlib import Path

import httpx2

from app.main import create_app
from tests.conftest import make_settings

MCP_ACCEPT = {"Accept": "application/json, text/event-stream"}


async def test_mcp_is_answered_at_exactly_its_url_never_redirected(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://localhost:8080") as http:
        posted = await http.post("/mcp", json={}, headers=MCP_ACCEPT)
        fetched = await http.get("/mcp", headers=MCP_ACCEPT)
        metadata = await http.get("/.well-known/oauth-protected-resource/mcp")
    assert (posted.status_code, fetched.status_code) == (401, 401)
    assert "location" not in posted.headers and "location" not in fetched.headers
    assert metadata.status_code == 200
    assert metadata.json()["resource"] == "http://localhost:8080/mcp"


async def test_an_unknown_path_is_a_plain_404_for_programs_whatever_the_method(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://localhost:8080") as http:
        answers = [await http.request(method, "/no-such-thing") for method in ("GET", "POST", "PUT", "DELETE")]
    assert [(a.status_code, a.text) for a in answers] == [(404, "Not Found")] * 4
