"""People API Person resources, as the sandbox stores and returns them."""

from __future__ import annotations

import hashlib
from typing import Any


def stable_number(text: str) -> str:
    """A stable decimal id derived from `text` (the same in every process)."""
    return str(int(hashlib.sha256(text.encode()).hexdigest()[:15], 16))


def person_resource(
    resource_name: str, source: str, name: str, email: str, org: str = "", title: str = ""
) -> dict[str, Any]:
    """A People API Person with names (when known), emailAddresses and organizations, as Google fills them in."""
    given, _, family = name.partition(" ")
    metadata = {"primary": True, "source": {"type": source, "id": resource_name.rpartition("/")[2]}}
    names = {"metadata": metadata, "displayName": name, "givenName": given, "unstructuredName": name}
    if family:
        names |= {"familyName": family, "displayNameLastFirst": f"{family}, {given}"}
    person: dict[str, Any] = {
        "resourceName": resource_name,
        "etag": "%" + stable_number(resource_name + name + email)[:12],
        **({"names": [names]} if name else {}),
        "emailAddresses": [{"metadata": metadata, "value": email, "type": "work", "formattedType": "Work"}],
    }
    if org or title:
        person["organizations"] = [{"metadata": metadata, "name": org, "title": title, "type": "work"}]
    return person
