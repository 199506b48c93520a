"""The People API's data: each account's saved contacts and the Workspace directory, as Person resources."""

from __future__ import annotations

from typing import Any

from sandbox.people.records import person_resource, stable_number
from sandbox.seed.people import ACCOUNTS, DIRECTORY_ONLY, DOMAIN, PEOPLE_ONLY, SAVED_CONTACTS, Contact, contact

_KNOWN = {c.email: c for c in PEOPLE_ONLY}


def _lookup(email: str) -> Contact:
    return _KNOWN.get(email) or contact(email)


def build_contacts() -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """(saved contacts by owner, directory by Workspace domain)."""
    saved: dict[str, list[dict[str, Any]]] = {}
    for owner, emails in SAVED_CONTACTS.items():
        people = [_lookup(email) for email in emails]
        saved[owner] = [
            person_resource(f"people/c{stable_number(owner + c.email)}", "CONTACT", c.name, c.email, c.org, c.title)
            for c in people
        ]
    colleagues = [a.contact for a in ACCOUNTS if a.workspace] + [_lookup(email) for email in DIRECTORY_ONLY]
    directory = [
        person_resource(f"people/{stable_number(c.email)}", "DOMAIN_PROFILE", c.name, c.email, c.org, c.title)
        for c in colleagues
    ]
    return saved, {DOMAIN: directory}
