"""PeopleClient: finding people by name in saved contacts, other contacts and the Workspace directory.

Google's contact searches read a cache that only an empty-query request refreshes, so each person's
searches are warmed up first — once per `WARM_UP_SECONDS` per person and source on this replica.
Each source needs its own scope, granted after sign-in (see `CONTACTS_SCOPES_BY_SOURCE`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from cachetools import TTLCache
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from app.upstream.google_api import GoogleApi

Source = Literal["directory", "contacts", "other"]

_AUTH = "https://www.googleapis.com/auth/"
CONTACTS_SCOPE = _AUTH + "contacts.readonly"
OTHER_CONTACTS_SCOPE = _AUTH + "contacts.other.readonly"
DIRECTORY_SCOPE = _AUTH + "directory.readonly"
# A source is searchable with any one of its scopes (full `contacts` covers saved contacts too).
SCOPES_BY_SOURCE: dict[Source, tuple[str, ...]] = {
    "directory": (DIRECTORY_SCOPE,),
    "contacts": (CONTACTS_SCOPE, _AUTH + "contacts"),
    "other": (OTHER_CONTACTS_SCOPE,),
}
SOURCE_NAMES: dict[Source, str] = {
    "directory": "company directory",
    "contacts": "saved contacts",
    "other": "other contacts (people you have mailed)",
}
WARM_UP_SECONDS = 300.0
PAGE_LIMIT = 30  # searchContacts and otherContacts:search take at most 30
_READ_MASK = "names,emailAddresses,organizations"
_OTHER_READ_MASK = "names,emailAddresses"  # other contacts have no organizations


def sources_for(workspace: bool) -> list[Source]:
    """Where this person can search: the directory exists only for Google Workspace accounts."""
    return ["directory", "contacts", "other"] if workspace else ["contacts", "other"]


def grantable_scopes(workspace: bool) -> list[str]:
    """The scopes to ask Google for so that every source can be searched."""
    return [SCOPES_BY_SOURCE[source][0] for source in sources_for(workspace)]


def granted_sources(scopes: list[str], workspace: bool) -> list[Source]:
    return [s for s in sources_for(workspace) if any(scope in scopes for scope in SCOPES_BY_SOURCE[s])]


def usable_addresses(values: Iterable[str]) -> list[str]:
    """Addresses from a contact card, lower-cased, without repeats; free text that is no address is left out."""
    folded = (value.strip().lower() for value in values)
    return list(dict.fromkeys(v for v in folded if "@" in v and len(v) <= 254 and not any(c.isspace() for c in v)))


class _Resource(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Name(_Resource):
    display_name: str = ""


class EmailAddress(_Resource):
    value: str = ""


class Organization(_Resource):
    name: str = ""
    title: str = ""


class PersonRecord(_Resource):
    """A People API Person, reduced to what finding someone needs."""

    resource_name: str = ""
    names: list[Name] = Field(default_factory=list)
    email_addresses: list[EmailAddress] = Field(default_factory=list)
    organizations: list[Organization] = Field(default_factory=list)

    @property
    def name(self) -> str:
        return next((n.display_name for n in self.names if n.display_name), "")

    @property
    def emails(self) -> list[str]:
        """The card's addresses, lower-cased, without repeats; free text that is no address is left out."""
        return usable_addresses(e.value for e in self.email_addresses)


class _SearchResult(_Resource):
    person: PersonRecord = Field(default_factory=PersonRecord)


class _SearchResponse(_Resource):
    results: list[_SearchResult] = Field(default_factory=list)


class _DirectoryResponse(_Resource):
    people: list[PersonRecord] = Field(default_factory=list)


class WarmUps:
    """Which people's contact searches were warmed up recently (process-wide, per replica)."""

    def __init__(self, seconds: float = WARM_UP_SECONDS) -> None:
        self._recent: TTLCache[tuple[str, str], bool] = TTLCache(maxsize=20_000, ttl=seconds)

    def due(self, user_id: str, source: Source) -> bool:
        return (user_id, source) not in self._recent

    def done(self, user_id: str, source: Source) -> None:
        self._recent[(user_id, source)] = True


class PeopleClient:
    """The People API search endpoints for one user."""

    def __init__(self, api: GoogleApi, warm_ups: WarmUps) -> None:
        self.api = api
        self.warm_ups = warm_ups

    async def search(self, source: Source, query: str, page_size: int) -> list[PersonRecord]:
        """People in `source` matching `query` (a name, word or address prefix)."""
        if source == "directory":
            return await self.search_directory(query, page_size)
        if source == "contacts":
            return await self.search_contacts(query, page_size)
        return await self.search_other_contacts(query, page_size)

    async def search_contacts(self, query: str, page_size: int) -> list[PersonRecord]:
        """`people:searchContacts`: the person's saved contacts."""
        return await self._cached_search("contacts", "/v1/people:searchContacts", _READ_MASK, query, page_size)

    async def search_other_contacts(self, query: str, page_size: int) -> list[PersonRecord]:
        """`otherContacts:search`: people the person has mailed but not saved."""
        return await self._cached_search("other", "/v1/otherContacts:search", _OTHER_READ_MASK, query, page_size)

    async def search_directory(self, query: str, page_size: int) -> list[PersonRecord]:
        """`people:searchDirectoryPeople`: the Workspace domain's directory profiles."""
        params = {
            "query": query,
            "readMask": _READ_MASK,
            "sources": "DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE",
            "pageSize": page_size,
        }
        body = await self.api.get_json("/v1/people:searchDirectoryPeople", params=params, what="the directory")
        return _DirectoryResponse.model_validate(body).people

    async def _cached_search(
        self, source: Source, path: str, read_mask: str, query: str, page_size: int
    ) -> list[PersonRecord]:
        size = min(page_size, PAGE_LIMIT)
        if self.warm_ups.due(self.api.user_id, source):
            # An empty query refreshes Google's search cache; without it new contacts may be missing.
            await self.api.get_json(path, params={"query": "", "readMask": read_mask, "pageSize": size})
            self.warm_ups.done(self.api.user_id, source)
        body = await self.api.get_json(path, params={"query": query, "readMask": read_mask, "pageSize": size})
        return [result.person for result in _SearchResponse.model_validate(body).results]
