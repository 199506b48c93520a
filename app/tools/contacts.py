"""Finding people by name: the directory, saved contacts and other contacts, merged and ranked.

The people backend (REST or Google's People MCP server) says which sources it can search; a source
it cannot search, or one the person has not granted, is named in the answer with what to do.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve
from pydantic import Field

from app.tools.format import addresses_text, one_line, person, quoted_line
from app.tools.registrar import ToolRegistrar
from app.tools.resolvers import PeopleSearch, Resolvers
from app.upstream.errors import MissingScope, UpstreamError
from app.upstream.people import SOURCE_NAMES, Source
from app.workspace.people import Person

SOURCE_LABELS: dict[Source, str] = {"directory": "directory", "contacts": "saved contact", "other": "other contact"}
_FIELD_CHARS = 80


@dataclass
class Match:
    """One person, found in one or more sources, known by their addresses."""

    name: str
    emails: list[str]
    detail: str
    sources: list[Source] = field(default_factory=list)

    def exact(self, query: str) -> bool:
        """The query is the whole name, one whole word of it, or an address."""
        name = self.name.casefold()
        return query in (name, *name.split(), *self.emails)

    def line(self) -> str:
        text = person(self.name, self.emails[0])
        if len(self.emails) > 1:
            text += " (also " + addresses_text(self.emails[1:3]) + ")"
        detail = quoted_line(self.detail, _FIELD_CHARS, empty="")
        parts = [text, detail, " + ".join(SOURCE_LABELS[s] for s in self.sources)]
        return "- " + " — ".join(part for part in parts if part)


def _clean(text: str) -> str:
    """Text from someone's contact card on one line, bounded (answers fence it: others may have written it)."""
    return one_line(text, _FIELD_CHARS)


def merge(found: list[Person], query: str) -> list[Match]:
    """One entry per address, labelled with every source it came from, best matches first.

    `found` comes in rank order (directory, saved contacts, other contacts); exact name (or
    address) matches move before prefix matches, keeping that order within each.
    """
    matches: list[Match] = []
    by_email: dict[str, Match] = {}
    for card in found:
        emails = card.addresses
        if not emails:
            continue  # no address: nothing to write to
        known = next((by_email[e] for e in emails if e in by_email), None)
        if known is None:
            detail = ", ".join(part for part in (card.title, card.organisation) if part)
            known = Match(_clean(card.name), [], _clean(detail))
            matches.append(known)
        if card.source not in known.sources:
            known.sources.append(card.source)
        known.name = known.name or _clean(card.name)
        for email in emails:
            if email not in by_email:
                by_email[email] = known
                known.emails.append(email)
    folded = " ".join(query.casefold().split())
    return sorted(matches, key=lambda m: not m.exact(folded))


def register_contact_tools(tool: ToolRegistrar, resolvers: Resolvers) -> None:
    @tool(title="Find people", read_only=True, idempotent=True)
    async def contacts_search(
        people: Annotated[PeopleSearch, Resolve(resolvers.people)],
        query: Annotated[str, Field(min_length=1, max_length=200, description="A name or the start of an address")],
        max_results: Annotated[int, Field(ge=1, le=30)] = 10,
    ) -> str:
        """Find people's email addresses by name, e.g. 'Sam', in the company directory, saved and other contacts."""
        query = " ".join(query.split())
        if not query:
            raise ToolError("Give a name or the start of an address to search for, e.g. 'Sam' or 'priya@'.")

        async def search(source: Source) -> list[Person] | UpstreamError:
            try:
                return await people.client.search(source, query, max_results)
            except UpstreamError as error:
                return error

        outcomes = await asyncio.gather(*(search(source) for source in people.sources))
        found: list[Person] = []
        searched_in: list[Source] = []
        failed: list[tuple[Source, UpstreamError]] = []
        not_granted = list(people.not_granted)
        for source, outcome in zip(people.sources, outcomes, strict=True):
            if isinstance(outcome, MissingScope):  # unticked since the grant was read
                not_granted.append(source)
            elif isinstance(outcome, UpstreamError):
                failed.append((source, outcome))
            else:
                searched_in.append(source)
                found += outcome
        if not searched_in and failed:
            raise failed[0][1]
        matches = merge(found, query)
        searched = ", ".join(SOURCE_NAMES[s] for s in searched_in) or "nothing"
        if not matches:
            lines = [f"No one matches {query!r} (searched: {searched}). Try part of the name or the address."]
        elif len(matches) == 1:
            lines = [f"1 person matches {query!r}:"]
        else:
            lines = [f"{len(matches)} people match {query!r} — ask which one:"]
        lines += [m.line() for m in matches[:max_results]]
        if len(matches) > max_results:
            lines.append(f"[showing {max_results} of {len(matches)} — a longer query narrows it]")
        if not_granted:
            names = ", ".join(SOURCE_NAMES[s] for s in not_granted)
            lines.append(f"Not searched: {names} — not granted. The person can allow it at {people.grant_url}")
        lines += [f"Not searched: {SOURCE_NAMES[s]} — {error}" for s, error in failed]
        lines += [f"Not searched: {SOURCE_NAMES[s]} — {why}." for s, why in people.unsearchable.items()]
        return "\n".join(lines)
