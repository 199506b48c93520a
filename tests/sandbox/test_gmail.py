"""The sandbox Gmail API: listing, reading, labels, auth — driven over HTTP at the `/gmail` mount."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from sandbox.world import World
from tests.sandbox.gmail_world import ALICE, API, BOB, METADATA, MODIFY, PDF, READONLY, GmailWorld, build

URL = "/gmail" + API


@pytest.fixture
def gw() -> GmailWorld:
    return build()


def get(gw: GmailWorld, path: str, params: Any = None, scopes: tuple[str, ...] = (READONLY,)) -> Any:
    response = gw.client.get(URL + path, params=params, headers=gw.headers(scopes=scopes))
    assert response.status_code == 200, response.text
    return response.json()


def error_of(response: Any) -> tuple[int, str, str]:
    error = response.json()["error"]
    return error["code"], error["message"], error["errors"][0]["reason"]


def decode(data: str) -> bytes:
    return base64.urlsafe_b64decode(data)


def test_messages_list_returns_ids_newest_first_without_spam_and_trash(gw: GmailWorld) -> None:
    body = get(gw, "/messages")
    names = ["sent", "plain", "html", "multi", "attach"]
    assert body["messages"] == [{"id": gw.ids[n], "threadId": gw.ids["plain" if n == "sent" else n]} for n in names]
    assert body["resultSizeEstimate"] == 5
    assert "nextPageToken" not in body


def test_messages_list_pages_with_next_page_token(gw: GmailWorld) -> None:
    first = get(gw, "/messages", {"maxResults": 2})
    second = get(gw, "/messages", {"maxResults": 2, "pageToken": first["nextPageToken"]})
    third = get(gw, "/messages", {"maxResults": 2, "pageToken": second["nextPageToken"]})
    ids = [m["id"] for page in (first, second, third) for m in page["messages"]]
    assert ids == [m["id"] for m in get(gw, "/messages")["messages"]]
    assert "nextPageToken" not in third


@pytest.mark.parametrize("params", [{"maxResults": "ten"}, {"maxResults": "-1"}, {"pageToken": "bogus"}])
def test_messages_list_rejects_bad_paging_parameters(gw: GmailWorld, params: dict[str, str]) -> None:
    response = gw.client.get(URL + "/messages", params=params, headers=gw.headers())
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_messages_list_caps_max_results_at_500_and_accepts_fields(gw: GmailWorld) -> None:
    body = get(gw, "/messages", {"maxResults": 9999, "fields": "messages(id),nextPageToken"})
    assert len(body["messages"]) == 5


def test_messages_list_rejects_unknown_query_parameters(gw: GmailWorld) -> None:
    response = gw.client.get(URL + "/messages", params={"label_ids": "INBOX"}, headers=gw.headers())
    assert response.status_code == 400
    assert 'Unknown name "label_ids"' in response.json()["error"]["message"]


def test_messages_list_requires_every_label_id(gw: GmailWorld) -> None:
    body = get(gw, "/messages", [("labelIds", "INBOX"), ("labelIds", "STARRED")])
    assert [m["id"] for m in body["messages"]] == [gw.ids["multi"]]


def test_messages_list_includes_spam_and_trash_when_asked(gw: GmailWorld) -> None:
    assert get(gw, "/messages", {"includeSpamTrash": "true"})["resultSizeEstimate"] == 7
    assert [m["id"] for m in get(gw, "/messages", {"labelIds": "TRASH"})["messages"]] == [gw.ids["trash"]]
    assert [m["id"] for m in get(gw, "/messages", {"q": "in:spam"})["messages"]] == [gw.ids["spam"]]


def test_messages_list_omits_messages_when_nothing_matches(gw: GmailWorld) -> None:
    assert get(gw, "/messages", {"q": "from:nobody@nowhere.example"}) == {"resultSizeEstimate": 0}


def test_messages_list_searches_with_q(gw: GmailWorld) -> None:
    def search(q: str) -> list[str]:
        return [m["id"] for m in get(gw, "/messages", {"q": q}).get("messages", [])]

    assert search("from:bob is:starred") == [gw.ids["multi"]]
    assert search("has:attachment filename:pdf") == [gw.ids["attach"]]
    assert search("label:projects-alpha") == [gw.ids["attach"]]
    assert search('"plan for Q3"') == [gw.ids["plain"]]
    assert search("category:promotions OR subject:lunch") == [gw.ids["html"], gw.ids["multi"]]
    assert search("newer_than:1d -in:inbox") == [gw.ids["sent"]]


def test_get_plain_message_in_full_format(gw: GmailWorld) -> None:
    message = get(gw, f"/messages/{gw.ids['plain']}")
    assert set(message) == {
        "id",
        "threadId",
        "labelIds",
        "snippet",
        "payload",
        "sizeEstimate",
        "historyId",
        "internalDate",
    }
    assert message["labelIds"] == ["INBOX", "UNREAD"]
    assert message["snippet"] == "Hi Alice, here is the plan for Q3. It&#39;s ambitious &amp; fun."
    assert isinstance(message["historyId"], str) and message["internalDate"].isdigit()
    payload = message["payload"]
    assert (payload["partId"], payload["mimeType"], payload["filename"]) == ("", "text/plain", "")
    assert {"name": "Subject", "value": "Quarterly plan"} in payload["headers"]
    assert decode(payload["body"]["data"]) == b"Hi Alice, here is the plan for Q3. It's ambitious & fun.\n"
    assert payload["body"]["size"] == len(decode(payload["body"]["data"]))


def test_get_html_only_message_snippet_is_visible_text_escaped_like_gmail(gw: GmailWorld) -> None:
    message = get(gw, f"/messages/{gw.ids['html']}")
    assert message["snippet"] == "Don&#39;t miss 50% off"
    assert message["payload"]["mimeType"] == "text/html"
    assert b"<b>50% off</b>" in decode(message["payload"]["body"]["data"])


def test_get_multipart_message_has_gmail_part_ids(gw: GmailWorld) -> None:
    payload = get(gw, f"/messages/{gw.ids['multi']}")["payload"]
    assert payload["mimeType"] == "multipart/alternative"
    assert payload["body"] == {"size": 0}
    assert [(p["partId"], p["mimeType"]) for p in payload["parts"]] == [("0", "text/plain"), ("1", "text/html")]
    assert decode(payload["parts"][1]["body"]["data"]) == b"<p>Lunch at <i>noon</i>?</p>\n"


def test_attachment_part_carries_its_id_and_attachments_get_returns_the_bytes(gw: GmailWorld) -> None:
    message_id = gw.ids["attach"]
    part = get(gw, f"/messages/{message_id}")["payload"]["parts"][1]
    assert part["filename"] == "report.pdf"
    assert part["body"] == {"attachmentId": "att-report", "size": len(PDF)}
    attachment = get(gw, f"/messages/{message_id}/attachments/att-report")
    assert attachment["size"] == len(PDF)
    assert decode(attachment["data"]) == PDF
    wrong = gw.client.get(URL + f"/messages/{gw.ids['plain']}/attachments/att-report", headers=gw.headers())
    assert wrong.status_code == 400


def test_get_raw_format_returns_the_stored_bytes(gw: GmailWorld) -> None:
    message = get(gw, f"/messages/{gw.ids['multi']}", {"format": "raw"})
    assert "payload" not in message
    assert decode(message["raw"]) == gw.world.mailboxes[ALICE].messages[gw.ids["multi"]].raw


def test_get_minimal_format_has_no_payload(gw: GmailWorld) -> None:
    message = get(gw, f"/messages/{gw.ids['attach']}", {"format": "minimal"})
    assert set(message) == {"id", "threadId", "labelIds", "snippet", "sizeEstimate", "historyId", "internalDate"}


def test_get_metadata_format_keeps_only_the_asked_headers_case_insensitively(gw: GmailWorld) -> None:
    params = [("format", "metadata"), ("metadataHeaders", "from"), ("metadataHeaders", "SUBJECT")]
    message = get(gw, f"/messages/{gw.ids['multi']}", params)
    assert message["payload"]["headers"] == [
        {"name": "From", "value": f"Bob Brown <{BOB}>"},
        {"name": "Subject", "value": "Lunch?"},
    ]
    assert "parts" not in message["payload"]


def test_unknown_message_or_thread_is_404_and_malformed_id_is_400_invalid_id_value(gw: GmailWorld) -> None:
    for kind in ("messages", "threads"):
        missing = gw.client.get(f"{URL}/{kind}/18c0ffffffffffff", headers=gw.headers())
        assert error_of(missing) == (404, "Requested entity was not found.", "notFound")
        malformed = gw.client.get(f"{URL}/{kind}/not-an-id!", headers=gw.headers())
        assert error_of(malformed) == (400, "Invalid id value", "invalidArgument")
        assert malformed.json()["error"]["status"] == "INVALID_ARGUMENT"
    attachment = gw.client.get(f"{URL}/messages/{gw.ids['attach']}/attachments/nope", headers=gw.headers())
    assert error_of(attachment) == (400, "Invalid attachment token", "invalidArgument")


def test_other_user_id_is_delegation_denied_but_own_email_works(gw: GmailWorld) -> None:
    denied = gw.client.get(f"/gmail/gmail/v1/users/{BOB}/messages", headers=gw.headers())
    assert error_of(denied) == (403, f"Delegation denied for {BOB}", "forbidden")
    assert gw.client.get(f"/gmail/gmail/v1/users/{ALICE}/messages", headers=gw.headers()).status_code == 200


def test_missing_or_expired_token_is_401_in_google_shape(gw: GmailWorld) -> None:
    missing = gw.client.get(URL + "/messages")
    assert missing.status_code == 401
    assert missing.json()["error"]["status"] == "UNAUTHENTICATED"
    assert "WWW-Authenticate" in missing.headers
    headers = gw.headers()
    gw.world.expire_all_access_tokens()
    assert error_of(gw.client.get(URL + "/messages", headers=headers))[:1] == (401,)


def test_token_without_a_gmail_scope_is_403_insufficient_permissions(gw: GmailWorld) -> None:
    calendar_only = gw.headers(scopes=("https://www.googleapis.com/auth/calendar",))
    assert error_of(gw.client.get(URL + "/messages", headers=calendar_only))[2] == "insufficientPermissions"
    readonly = gw.headers(scopes=(READONLY,))
    modify = gw.client.post(URL + f"/messages/{gw.ids['plain']}/modify", json={}, headers=readonly)
    assert error_of(modify)[:1] == (403,) and error_of(modify)[2] == "insufficientPermissions"


def test_metadata_scope_reads_headers_but_not_bodies_or_search(gw: GmailWorld) -> None:
    headers = gw.headers(scopes=(METADATA,))
    message_url = URL + f"/messages/{gw.ids['plain']}"
    assert gw.client.get(message_url, params={"format": "metadata"}, headers=headers).status_code == 200
    full = gw.client.get(message_url, headers=headers)
    assert error_of(full)[:2] == (403, "Metadata scope doesn't allow format FULL")
    assert gw.client.get(URL + "/messages", params={"q": "plan"}, headers=headers).status_code == 403


def test_modify_adds_and_removes_labels_and_bumps_history(gw: GmailWorld) -> None:
    message_id = gw.ids["plain"]
    before = get(gw, f"/messages/{message_id}", {"format": "minimal"})["historyId"]
    body = {"addLabelIds": ["STARRED", "Label_1"], "removeLabelIds": ["UNREAD", "INBOX"]}
    response = gw.client.post(URL + f"/messages/{message_id}/modify", json=body, headers=gw.headers())
    assert response.json() == {"id": message_id, "threadId": message_id, "labelIds": ["Label_1", "STARRED"]}
    after = get(gw, f"/messages/{message_id}", {"format": "minimal"})["historyId"]
    assert int(after) > int(before)


@pytest.mark.parametrize("label", ["Label_99", "SENT"])
def test_modify_with_an_unknown_or_fixed_label_is_400(gw: GmailWorld, label: str) -> None:
    response = gw.client.post(
        URL + f"/messages/{gw.ids['plain']}/modify", json={"addLabelIds": [label]}, headers=gw.headers()
    )
    assert error_of(response)[:2] == (400, f"Invalid label: {label}")


def test_batch_modify_answers_204_and_relabels_every_message(gw: GmailWorld) -> None:
    ids = [gw.ids["plain"], gw.ids["multi"]]
    body = {"ids": ids, "removeLabelIds": ["INBOX"]}
    response = gw.client.post(URL + "/messages/batchModify", json=body, headers=gw.headers())
    assert response.status_code == 204 and response.content == b""
    assert all("INBOX" not in gw.world.mailboxes[ALICE].messages[i].label_ids for i in ids)
    too_many = {"ids": [gw.ids["plain"]] * 1001, "addLabelIds": ["STARRED"]}
    assert gw.client.post(URL + "/messages/batchModify", json=too_many, headers=gw.headers()).status_code == 400


def test_trash_hides_a_message_and_untrash_brings_it_back(gw: GmailWorld) -> None:
    message_id = gw.ids["multi"]
    trashed = gw.client.post(URL + f"/messages/{message_id}/trash", headers=gw.headers()).json()
    assert "TRASH" in trashed["labelIds"]
    assert message_id not in [m["id"] for m in get(gw, "/messages")["messages"]]
    gw.client.post(URL + f"/messages/{message_id}/untrash", headers=gw.headers())
    assert message_id in [m["id"] for m in get(gw, "/messages")["messages"]]


def test_threads_list_and_get_show_a_conversation_oldest_first(gw: GmailWorld) -> None:
    listed = get(gw, "/threads", {"maxResults": 2})
    assert [t["id"] for t in listed["threads"]] == [gw.ids["plain"], gw.ids["html"]]
    assert listed["threads"][0]["snippet"] == "Looks good."
    assert "nextPageToken" in listed
    thread = get(gw, f"/threads/{gw.ids['plain']}", [("format", "metadata"), ("metadataHeaders", "Subject")])
    assert [m["id"] for m in thread["messages"]] == [gw.ids["plain"], gw.ids["sent"]]
    assert thread["historyId"] == max(m["historyId"] for m in thread["messages"])
    assert thread["messages"][1]["payload"]["headers"] == [{"name": "Subject", "value": "Re: Quarterly plan"}]


def test_thread_modify_relabels_every_message(gw: GmailWorld) -> None:
    thread_id = gw.ids["plain"]
    body = {"addLabelIds": ["IMPORTANT"]}
    response = gw.client.post(URL + f"/threads/{thread_id}/modify", json=body, headers=gw.headers())
    assert all("IMPORTANT" in m["labelIds"] for m in response.json()["messages"])
    assert gw.client.get(URL + "/threads/18c0ffffffffffff", headers=gw.headers()).status_code == 404


def test_labels_list_get_with_counts_and_create(gw: GmailWorld) -> None:
    labels = {label["id"]: label for label in get(gw, "/labels")["labels"]}
    assert labels["INBOX"] == {"id": "INBOX", "name": "INBOX", "type": "system"}
    assert labels["Label_1"]["type"] == "user" and labels["Label_1"]["name"] == "Projects/Alpha"
    inbox = get(gw, "/labels/INBOX")
    assert (inbox["messagesTotal"], inbox["messagesUnread"], inbox["threadsTotal"]) == (4, 1, 4)
    created = gw.client.post(URL + "/labels", json={"name": "Receipts"}, headers=gw.headers())
    assert created.json()["id"] == "Label_2" and created.json()["name"] == "Receipts"
    duplicate = gw.client.post(URL + "/labels", json={"name": "receipts"}, headers=gw.headers())
    assert duplicate.status_code == 409
    assert gw.client.get(URL + "/labels/Label_404", headers=gw.headers()).status_code == 404


def test_profile_counts_messages_and_threads(gw: GmailWorld) -> None:
    profile = get(gw, "/profile")
    assert profile["emailAddress"] == ALICE
    assert (profile["messagesTotal"], profile["threadsTotal"]) == (7, 6)
    assert int(profile["historyId"]) >= 1006


def test_a_person_without_a_mailbox_gets_an_empty_one(gw: GmailWorld) -> None:
    world: World = gw.world
    del world.mailboxes[BOB]
    response = gw.client.get(URL + "/messages", headers=gw.headers(BOB, (MODIFY,)))
    assert response.json() == {"resultSizeEstimate": 0}
