"""The people backend over Google's People MCP server (`people.googleapis.com/mcp/v1`), read into `Person`.

Google documents `search_contacts` and `search_directory_people` (Workspace accounts only) as answering
`{results: [{name, email}]}`: a display name and one address per person, no title or organisation.
Fields Google may add are ignored. The server has no tool for other contacts, and needs no warm-up.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from app.upstream.google_mcp import GoogleMcpCaller
from app.upstream.people import Source, usable_addresses
from app.workspace.people import Person

MAX_RESULTS = 30  # both tools' documented maximum of maxResults
TOOLS: dict[Source, str] = {"directory": "search_directory_people", "contacts": "search_contacts"}
NO_OTHER_CONTACTS = "Google's People MCP server has no search of other contacts"


class _Found(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    email: str | None = None


class _Results(BaseModel):
    model_config = ConfigDict(extra="ignore")

    results: list[_Found] | None = None


class McpPeople:
    """The directory and saved contacts through Google's People MCP tools."""

    def __init__(self, google: GoogleMcpCaller) -> None:
        self.google = google

    def cannot_search(self, source: Source) -> str | None:
        return None if source in TOOLS else NO_OTHER_CONTACTS

    async def search(self, source: Source, query: str, limit: int) -> list[Person]:
        tool = TOOLS.get(source)
        if tool is None:
            raise ValueError(f"{NO_OTHER_CONTACTS} ({source})")
        arguments = {"query": query, "maxResults": max(1, min(limit, MAX_RESULTS))}
        found = _Results.model_validate(await self.google.read("people", tool, arguments))
        return [
            Person(entry.name or "", tuple(usable_addresses([entry.email or ""])), source)
            for entry in found.results or []
        ]
