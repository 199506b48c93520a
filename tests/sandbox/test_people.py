"""The sandbox People API, driven over HTTP the way a People client drives Google."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from sandbox.people.api import create_people_app
from sandbox.people.records import person_resource
from sandbox.world import Person, World

_AUTH = "https://www.googleapis.com/auth/"
ALL = [f"{_AUTH}contacts.readonly", f"{_AUTH}contacts.other.readonly", f"{_AUTH}directory.readonly"]
ALICE, CONSUMER = "alice@example.com", "sam@gmail.example"
CONTACTS = "/people/v1/people:searchContacts"
DIRECTORY = "/people/v1/people:searchDirectoryPeople"
MASK = "names,emailAddresses,organizations"


class Sandbox:
    def __init__(self) -> None:
        self.world = World(anchor=datetime(2024, 10, 28, 12, tzinfo=UTC), domain="example.com")
        self.world.people[ALICE] = Person(ALICE, "Alice Adams", "1", "UTC", hd="example.com")
        self.world.people[CONSUMER] = Person(CONSUMER, "Sam Rivera", "2", "UTC")
        self.world.saved_contacts[ALICE] = [
            person_resource("people/c1", "CONTACT", "Foo Name", "foo@globex.example", "Globex", "Lead")
        ]
        self.world.directories["example.com"] = [
            person_resource("people/3", "DOMAIN_PROFILE", "Bob Brown", "bob@example.com")
        ]
        self.client = TestClient(Starlette(routes=[Mount("/people", create_people_app(self.world))]))

    def get(self, path: str, who: str = ALICE, scopes: list[str] = ALL, **params: Any) -> Any:
        token = self.world.issue_access_token(who, scopes, None).token
        return self.client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})

    def names(self, query: str) -> list[str]:
        response = self.get(CONTACTS, query=query, readMask=MASK)
        assert response.status_code == 200, response.text
        return [r["person"]["names"][0]["displayName"] for r in response.json().get("results", [])]


def test_a_contact_search_sees_only_what_the_last_warm_up_saw() -> None:
    sandbox = Sandbox()
    assert sandbox.names("foo") == [], "nothing before the first warm-up"
    assert sandbox.get(CONTACTS, query="", readMask=MASK).json() == {}
    assert sandbox.names("foo") == ["Foo Name"]
    sandbox.world.saved_contacts[ALICE].append(person_resource("people/c2", "CONTACT", "Fiona Fox", "fiona@x.example"))
    assert sandbox.names("f") == ["Foo Name"], "a contact added since the warm-up is not found yet"
    sandbox.get(CONTACTS, query="", readMask=MASK)
    assert sandbox.names("f") == ["Foo Name", "Fiona Fox"]


def test_queries_match_prefix_phrases_of_names_addresses_and_organizations() -> None:
    sandbox = Sandbox()
    sandbox.get(CONTACTS, query="", readMask=MASK)
    for query in ("f", "foo n", "nam", "GLOB", "foo@"):
        assert sandbox.names(query) == ["Foo Name"], query
    for query in ("oo n", "ame", "globex.example"):
        assert sandbox.names(query) == [], query


def test_each_search_needs_its_scope_and_says_so_as_google_does() -> None:
    sandbox = Sandbox()
    refused = sandbox.get(CONTACTS, scopes=[f"{_AUTH}contacts.other.readonly"], query="", readMask=MASK)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert (error["code"], error["message"], error["status"]) == (
        403,
        "Request had insufficient authentication scopes.",
        "PERMISSION_DENIED",
    )
    assert error["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    assert sandbox.get(DIRECTORY, scopes=ALL[:2], query="b", readMask=MASK, sources="x").status_code == 403


def test_read_masks_sources_and_page_sizes_are_checked() -> None:
    sandbox = Sandbox()
    assert sandbox.get(CONTACTS, query="f").status_code == 400, "readMask is required"
    assert sandbox.get("/people/v1/otherContacts:search", query="f", readMask=MASK).status_code == 400
    assert sandbox.get(CONTACTS, query="f", readMask=MASK, pageSize=31).status_code == 400
    assert sandbox.get(DIRECTORY, query="b", readMask=MASK).status_code == 400, "sources is required"
    found = sandbox.get(DIRECTORY, query="b", readMask="names", sources="DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE")
    assert set(found.json()["people"][0]) == {"resourceName", "etag", "names"}, "only the fields in readMask"


def test_the_directory_is_refused_to_a_consumer_account() -> None:
    refused = Sandbox().get(
        DIRECTORY, who=CONSUMER, query="b", readMask=MASK, sources="DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE"
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "Must be a G Suite domain user."
