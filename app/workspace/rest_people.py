"""The people backend over the People API's REST search endpoints (`PeopleClient`), read into `Person`."""

from __future__ import annotations

from app.upstream.people import PeopleClient, PersonRecord, Source
from app.workspace.people import Person


def person_of(record: PersonRecord, source: Source) -> Person:
    """A People API card as a `Person`: its first name and organisation, and every usable address."""
    org = record.organizations[0] if record.organizations else None
    return Person(record.name, tuple(record.emails), source, org.title if org else "", org.name if org else "")


class RestPeople:
    """Directory, saved contacts and other contacts, each through its own People API search."""

    def __init__(self, client: PeopleClient) -> None:
        self.client = client

    def cannot_search(self, source: Source) -> str | None:
        return None

    async def search(self, source: Source, query: str, limit: int) -> list[Person]:
        return [person_of(record, source) for record in await self.client.search(source, query, limit)]
