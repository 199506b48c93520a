"""The sandbox Google People API, mounted at `/people`: contact, other-contact and directory search.

As with Google, `people:searchContacts` and `otherContacts:search` search a cache that only an
empty-query request (the warm-up) refreshes: a search sees the people as of the last warm-up,
and nothing before the first. Each method needs its own scope; a token without it gets Google's
403 `ACCESS_TOKEN_SCOPE_INSUFFICIENT`. The directory is the Workspace domain's people, refused
to consumer accounts. `readMask` is required and checked per method; `sources` too for the directory.
"""

from __future__ import annotations

import copy
import unicodedata
from collections.abc import Callable
from email.headerregistry import Address
from email.parser import BytesHeaderParser
from email.policy import default
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.common import authenticate
from sandbox.people.records import person_resource, stable_number
from sandbox.world import Person, World

_AUTH = "https://www.googleapis.com/auth/"
CONTACTS_SCOPES = (_AUTH + "contacts", _AUTH + "contacts.readonly")
OTHER_CONTACTS_SCOPES = (_AUTH + "contacts.other.readonly",)
DIRECTORY_SCOPES = (_AUTH + "directory.readonly",)
PERSON_FIELDS = frozenset(
    {
        *("addresses", "ageRanges", "biographies", "birthdays", "calendarUrls", "clientData", "coverPhotos"),
        *("emailAddresses", "events", "externalIds", "genders", "imClients", "interests", "locales"),
        *("locations", "memberships", "metadata", "miscKeywords", "names", "nicknames", "occupations"),
        *("organizations", "phoneNumbers", "photos", "relations", "sipAddresses", "skills", "urls"),
        *("userDefined",),
    }
)
OTHER_CONTACT_FIELDS = frozenset({"emailAddresses", "metadata", "names", "phoneNumbers", "photos"})
DIRECTORY_SOURCES = frozenset({"DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE", "DIRECTORY_SOURCE_TYPE_DOMAIN_CONTACT"})
_STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED"}
_HEADERS = BytesHeaderParser(policy=default)


def people_error(code: int, message: str, status: str | None = None, method: str = "") -> JSONResponse:
    """The People API's error body (the newer Google shape: status and ErrorInfo details, no `errors`)."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status or _STATUS.get(code, "UNKNOWN")}
    if code == 403 and method:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
                "metadata": {"service": "people.googleapis.com", "method": f"google.people.v1.{method}"},
            }
        ]
    return JSONResponse({"error": error}, status_code=code)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _phrase_prefix(query: str, value: str) -> bool:
    """Google's rule: the query is a prefix of the value from the start of one of its words."""
    value = _fold(value)
    starts = [0, *(i + 1 for i, ch in enumerate(value) if ch.isspace())]
    return any(value.startswith(query, start) for start in starts)


def matches(query: str, person: dict[str, Any], with_orgs: bool) -> bool:
    """Whether `query` matches a name, an address or (for contacts) an organization of `person`."""
    folded = _fold(query.strip())
    names = [n.get(k, "") for n in person.get("names", []) for k in ("displayName", "givenName", "familyName")]
    orgs = [o.get("name", "") for o in person.get("organizations", [])] if with_orgs else []
    emails = [_fold(e.get("value", "")) for e in person.get("emailAddresses", [])]
    return any(_phrase_prefix(folded, v) for v in (*names, *orgs) if v) or any(e.startswith(folded) for e in emails)


def other_contacts(world: World, owner: str) -> list[dict[str, Any]]:
    """Whom `owner` has mailed (recipients of their sent mail) and not saved, first-seen order."""
    saved = {e["value"].lower() for p in world.saved_contacts.get(owner, []) for e in p.get("emailAddresses", [])}
    found: dict[str, str] = {}
    mailbox = world.mailboxes.get(owner)
    for message in mailbox.messages.values() if mailbox else ():
        if "SENT" not in message.label_ids:
            continue
        headers = _HEADERS.parsebytes(message.raw)
        for field in ("To", "Cc", "Bcc"):
            header = headers[field]
            addresses: tuple[Address, ...] = getattr(header, "addresses", ()) if header is not None else ()
            for address in addresses:
                email = address.addr_spec.lower()
                if email and email != owner and email not in saved and email not in found:
                    found[email] = address.display_name
    return [
        person_resource(f"otherContacts/c{stable_number(owner + email)}", "OTHER_CONTACT", name, email)
        for email, name in found.items()
    ]


def _masked(person: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    kept = {"resourceName": person["resourceName"], "etag": person["etag"]}
    return kept | {key: copy.deepcopy(value) for key, value in person.items() if key in fields}


def _read_mask(request: Request, allowed: frozenset[str]) -> set[str] | JSONResponse:
    raw = request.query_params.get("readMask", "")
    fields = {field.strip() for field in raw.split(",") if field.strip()}
    if not fields:
        return people_error(400, "readMask is required and must name at least one field.")
    for field in sorted(fields):
        if field not in allowed:
            return people_error(400, f'Invalid readMask path "{field}".')
    return fields


def _page_size(request: Request, limit: int) -> int | JSONResponse:
    raw = request.query_params.get("pageSize", "10")
    try:
        size = int(raw)
    except ValueError:
        return people_error(400, f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\"")
    if size < 0 or size > limit:
        return people_error(400, f"pageSize must be between 0 and {limit}.")
    return size or 10


def create_people_app(world: World) -> Starlette:
    """The People API app over `world`."""

    def person_with(request: Request, scopes: tuple[str, ...], method: str) -> Person | Response:
        person = authenticate(request, world, scopes)
        if isinstance(person, Response) and person.status_code == 403:
            return people_error(403, "Request had insufficient authentication scopes.", method=method)
        return person

    async def cached_search(
        request: Request, source: str, scopes: tuple[str, ...], method: str, allowed: frozenset[str],
        current: Callable[[Person], list[dict[str, Any]]],
    ) -> Response:  # fmt: skip
        person = person_with(request, scopes, method)
        if isinstance(person, Response):
            return person
        fields, size = _read_mask(request, allowed), _page_size(request, 30)
        if isinstance(fields, Response):
            return fields
        if isinstance(size, Response):
            return size
        query = request.query_params.get("query", "")
        key = (person.email, source)
        if not query.strip():  # the warm-up: refresh what later searches see
            world.people_search_index[key] = copy.deepcopy(current(person))
            return JSONResponse({})
        found = [p for p in world.people_search_index.get(key, []) if matches(query, p, source == "contacts")]
        results = [{"person": _masked(p, fields)} for p in found[:size]]
        return JSONResponse({"results": results} if results else {})

    async def search_contacts(request: Request) -> Response:
        return await cached_search(
            request, "contacts", CONTACTS_SCOPES, "PeopleService.SearchContacts", PERSON_FIELDS,
            lambda person: world.saved_contacts.get(person.email, []),
        )  # fmt: skip

    async def search_other_contacts(request: Request) -> Response:
        return await cached_search(
            request, "other", OTHER_CONTACTS_SCOPES, "OtherContacts.Search", OTHER_CONTACT_FIELDS,
            lambda person: other_contacts(world, person.email),
        )  # fmt: skip

    async def search_directory(request: Request) -> Response:
        person = person_with(request, DIRECTORY_SCOPES, "PeopleService.SearchDirectoryPeople")
        if isinstance(person, Response):
            return person
        fields, size = _read_mask(request, PERSON_FIELDS), _page_size(request, 500)
        if isinstance(fields, Response):
            return fields
        if isinstance(size, Response):
            return size
        sources = request.query_params.getlist("sources")
        if not sources:
            return people_error(400, "sources is required.")
        if any(source not in DIRECTORY_SOURCES for source in sources):
            return people_error(400, f"Invalid value at 'sources': {', '.join(sources)}")
        query = request.query_params.get("query", "")
        if not query.strip():
            return people_error(400, "query is required.")
        if person.hd is None:
            return people_error(400, "Must be a G Suite domain user.", "FAILED_PRECONDITION")
        people = world.directories.get(person.hd, []) if "DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE" in sources else []
        found = [p for p in people if matches(query, p, with_orgs=False)]
        body: dict[str, Any] = {"totalSize": len(found)}
        if found:
            body["people"] = [_masked(p, fields) for p in found[:size]]
        return JSONResponse(body)

    return Starlette(
        routes=[
            Route("/v1/people:searchContacts", search_contacts),
            Route("/v1/otherContacts:search", search_other_contacts),
            Route("/v1/people:searchDirectoryPeople", search_directory),
        ]
    )
