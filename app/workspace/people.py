"""People as the tools see them — someone found by name — and what a people backend offers.

A backend searches one source at a time: the Workspace directory, saved contacts, or other contacts
(people the person has mailed but not saved). What a backend cannot know is left empty rather than
guessed: Google's People MCP server gives one name and one address per person, no title or
organisation, and a source a backend has no search for says so (`cannot_search`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.upstream.people import Source


@dataclass(frozen=True)
class Person:
    """Someone found in one source: their name and addresses as their card gives them (someone else's words)."""

    name: str
    addresses: tuple[str, ...]  # plain, lower-case, without repeats; none when the card has no usable one
    source: Source
    title: str = ""
    organisation: str = ""


class People(Protocol):
    """One person's directory and contacts through one backend."""

    def cannot_search(self, source: Source) -> str | None:
        """Why this backend cannot search `source` (one line the person reads), or None when it can."""
        ...

    async def search(self, source: Source, query: str, limit: int) -> list[Person]:
        """People in `source` matching `query` (a name, a word of one, or the start of an address)."""
        ...
