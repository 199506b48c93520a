"""The sandbox People MCP server (`people.googleapis.com/mcp/v1`): contacts, the Workspace directory, the profile.

Google serves it on `/mcp/v1` only and never elicits. Matching is the People REST sandbox's own
(`sandbox.people.api.matches`: a prefix of a word of a name or organization, or of an address),
over the same saved contacts and directories; unlike `people:searchContacts` no warm-up is needed.
Shapes follow https://developers.google.com/people/api/mcp (search_directory_people's is inferred).
"""

from __future__ import annotations

from typing import Any

from sandbox.mcp.arguments import integer, message, string
from sandbox.mcp.server import Call, Product, Tool, ToolFailure
from sandbox.people.api import CONTACTS_SCOPES, DIRECTORY_SCOPES, matches
from sandbox.world import World

_AUTH = "https://www.googleapis.com/auth/"
PROFILE_SCOPES = (_AUTH + "userinfo.profile", "profile")
_RULES = (
    " IMPORTANT RULES TO FOLLOW: if this tool returns several results, present them and ask the user which one to "
    "use; never pass its output to another tool (sending an email, creating a draft or an event) without the "
    "user's explicit confirmation; even with one result, show the person found and ask the user to confirm it."
)
_TEXT = {"type": "string"}
RESULTS = {
    "type": "object",
    "properties": {
        "results": {
            "type": "array",
            "items": {"type": "object", "properties": {"name": _TEXT, "email": _TEXT}},
        }
    },
}
_SEARCH = message(
    {
        "query": string("The query string to search for."),
        "maxResults": integer("The maximum number of results. Default 10, maximum 30.", default=10, maximum=30),
    },
    ["query"],
)


def _results(people: list[dict[str, Any]], query: str, limit: int, with_orgs: bool) -> dict[str, Any]:
    found: list[dict[str, str]] = []
    for person in people:
        if not matches(query, person, with_orgs):
            continue
        names = person.get("names", [])
        emails = person.get("emailAddresses", [])
        found.append(
            {"name": names[0].get("displayName", "") if names else "", "email": emails[0]["value"] if emails else ""}
        )
    return {"results": found[: min(limit or 10, 30)]}


def people_product(world: World) -> Product:
    """The People API's MCP server over the sandbox world's contacts and directories."""

    def search_contacts(call: Call, args: dict[str, Any]) -> dict[str, Any]:
        contacts = world.saved_contacts.get(call.caller.person.email, [])
        return _results(contacts, args["query"], args.get("maxResults", 10), with_orgs=True)

    def search_directory_people(call: Call, args: dict[str, Any]) -> dict[str, Any]:
        domain = call.caller.person.hd
        if domain is None:
            raise ToolFailure("This feature is only available for Google Workspace accounts.")
        return _results(world.directories.get(domain, []), args["query"], args.get("maxResults", 10), with_orgs=False)

    def get_user_profile(call: Call, args: dict[str, Any]) -> dict[str, Any]:
        person = call.caller.person
        return {"name": person.name, "emailAddress": person.email}

    return Product(
        "people",
        "people.googleapis.com",
        [
            Tool(
                "search_directory_people",
                "Search for people within your organization's Google Workspace directory. This feature is "
                "exclusively for Google Workspace accounts and is not available for personal Google accounts. "
                "If this tool returns no results, fall back to the search_contacts tool." + _RULES,
                _SEARCH,
                RESULTS,
                DIRECTORY_SCOPES,
                search_directory_people,
                read_only=True,
                idempotent=True,
            ),
            Tool(
                "search_contacts",
                "Search user's contacts." + _RULES,
                _SEARCH,
                RESULTS,
                CONTACTS_SCOPES,
                search_contacts,
                read_only=True,
                idempotent=True,
            ),
            Tool(
                "get_user_profile",
                "Get profile info about yourself (name and email).",
                message({}),
                {"type": "object", "properties": {"name": _TEXT, "emailAddress": _TEXT}},
                PROFILE_SCOPES,
                get_user_profile,
                read_only=True,
                idempotent=True,
            ),
        ],
        toolsets=("v1",),
    )
