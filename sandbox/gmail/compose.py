"""Sending and drafts in the Gmail sandbox: messages.send, messages.insert, drafts.*, and delivery.

A sent message lands in the sender's mailbox with SENT and, without its Bcc header, in the INBOX of
every sandbox person among its recipients, threaded there the way Gmail threads incoming mail.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parsedate_to_datetime
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.gmail import mime as gmail_mime
from sandbox.gmail.http import (
    DRAFT_READ_SCOPES,
    DRAFT_WRITE_SCOPES,
    INSERT_SCOPES,
    MESSAGE_FIELDS,
    SEND_SCOPES,
    ApiError,
    Caller,
    GoogleJSONResponse,
    authorize,
    check_fields,
    endpoint,
    format_param,
    json_body,
    not_found,
    page,
    string_list,
)
from sandbox.gmail.query import matches, parse_query
from sandbox.gmail.store import (
    GmailState,
    all_labels,
    message_ref,
    message_resource,
    newest_first,
    store_message,
    thread_messages,
)
from sandbox.gmail.upload import check_simple_size, uploaded
from sandbox.world import Draft, Mailbox, Person, StoredMessage

_DRAFT_FIELDS = frozenset({"id", "message"})
_MISSING_RAW = "'raw' RFC822 payload message string or uploading message via /upload/* URL required"


def _message_from(body: dict[str, Any]) -> EmailMessage:
    """The RFC 2822 message in a Message resource's `raw` field."""
    raw = body.get("raw")
    if not raw:
        raise ApiError(400, _MISSING_RAW, "invalidArgument")
    data = gmail_mime.decode_base64(raw) if isinstance(raw, str) else None
    if data is None:
        raise ApiError(400, f"Invalid value for ByteString: {str(raw)[:64]}", "invalidArgument")
    thread_id = body.get("threadId")
    if thread_id is not None and not isinstance(thread_id, str):
        raise ApiError(400, "Invalid value at 'message.thread_id' (TYPE_STRING)", "invalid")
    return gmail_mime.parse_message(data)


def recipients(message: EmailMessage) -> list[str]:
    """The To/Cc/Bcc addresses; Gmail refuses to send without one, or with a malformed one."""
    found: list[str] = []
    for header in ("To", "Cc", "Bcc"):
        for _, address in gmail_mime.addresses(message, header):
            if "@" not in address.strip("@"):
                raise ApiError(400, f"Invalid {header} header", "invalidArgument")
            found.append(address)
    if not found:
        raise ApiError(400, "Recipient address required", "invalidArgument")
    return found


def _sign(message: EmailMessage, person: Person, mailbox: Mailbox) -> None:
    """Gmail sends from the account or one of its verified send-as aliases; any other From is replaced."""
    sender = formataddr((person.name, person.email))
    written = [address.casefold() for _, address in gmail_mime.addresses(message, "From")]
    alias = next((a for a in mailbox.aliases if a.verified and [a.email.casefold()] == written), None)
    if alias is not None:
        sender = formataddr((alias.display_name, alias.email))
    if message.get("From") is None:
        message["From"] = sender
    else:
        message.replace_header("From", sender)


def _stamp(state: GmailState, message: EmailMessage, person: Person) -> None:
    """Add the Date and Message-ID headers Gmail adds when a client leaves them out."""
    if message.get("Date") is None:
        try:
            zone = ZoneInfo(person.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
        now = state.world.now()
        message["Date"] = format_datetime(now.astimezone(zone) if zone else now)
    if message.get("Message-ID") is None:
        message["Message-ID"] = make_msgid(domain="mail.gmail.com")


def resolve_thread(state: GmailState, mailbox: Mailbox, thread_id: str | None, message: EmailMessage) -> str | None:
    """The thread a new message joins: the requested one, only if its subject still matches."""
    if not thread_id:
        return None
    existing = thread_messages(mailbox, thread_id)
    if not existing:
        raise not_found()
    subject = gmail_mime.normalize_subject(str(message.get("Subject", "")))
    for stored in existing:
        if gmail_mime.normalize_subject(state.parsed(mailbox, stored).facts.subject) == subject:
            return thread_id
    return None  # Gmail starts a new thread when the subject changed


def send_message(state: GmailState, caller: Caller, message: EmailMessage, thread_id: str | None) -> StoredMessage:
    """Send: keep a SENT copy in the sender's mailbox and deliver to every sandbox recipient."""
    addresses = recipients(message)
    _sign(message, caller.person, caller.mailbox)
    _stamp(state, message, caller.person)
    own = caller.person.email.casefold()
    to_self = any(address.casefold() == own for address in addresses)
    labels = {"SENT", "INBOX", "UNREAD"} if to_self else {"SENT"}
    stored = store_message(state, caller.mailbox, gmail_mime.to_bytes(message), thread_id, labels)
    _deliver(state, message, addresses, own)
    return stored


def _deliver(state: GmailState, message: EmailMessage, addresses: list[str], sender: str) -> None:
    delivered = gmail_mime.parse_message(gmail_mime.to_bytes(message))
    del delivered["Bcc"]  # recipients never see the Bcc list
    raw = gmail_mime.to_bytes(delivered)
    known = {email.casefold(): email for email in [*state.world.people, *state.world.mailboxes]}
    done = {sender}
    for address in addresses:
        key = address.casefold()
        if key in done or key not in known:
            continue
        done.add(key)
        mailbox = state.mailbox(known[key])
        store_message(state, mailbox, raw, _reply_thread(state, mailbox, delivered), {"INBOX", "UNREAD"})


def _reply_thread(state: GmailState, mailbox: Mailbox, message: EmailMessage) -> str | None:
    """Incoming mail joins the thread of a message it references, when the subject matches too."""
    references = " ".join(str(message.get(name, "")) for name in ("In-Reply-To", "References"))
    wanted = set(re.findall(r"<[^<>\s]+>", references))
    if not wanted:
        return None
    subject = gmail_mime.normalize_subject(str(message.get("Subject", "")))
    for stored in newest_first(mailbox.messages.values()):
        facts = state.parsed(mailbox, stored).facts
        if facts.message_id.strip() in wanted and gmail_mime.normalize_subject(facts.subject) == subject:
            return stored.thread_id
    return None


async def send(state: GmailState, request: Request) -> Response:
    """POST messages/send {raw, threadId?}."""
    caller = authorize(state, request, SEND_SCOPES)
    await check_simple_size(request)
    body = await json_body(request, MESSAGE_FIELDS)
    return _send(state, caller, body)


async def upload_send(state: GmailState, request: Request) -> Response:
    """POST /upload/…/messages/send: the message as media, metadata {threadId?} beside it."""
    caller = authorize(state, request, SEND_SCOPES)
    metadata, data = await uploaded(request)
    check_fields(metadata, MESSAGE_FIELDS - {"raw"})
    return _send(state, caller, {**metadata, "raw": gmail_mime.encode_base64url(data)})


def _send(state: GmailState, caller: Caller, body: dict[str, Any]) -> Response:
    message = _message_from(body)
    thread_id = resolve_thread(state, caller.mailbox, body.get("threadId"), message)
    return GoogleJSONResponse(message_ref(send_message(state, caller, message, thread_id)))


async def insert(state: GmailState, request: Request) -> Response:
    """POST messages {raw, labelIds?, threadId?}: into this mailbox only (like IMAP APPEND), nothing is sent.

    `internalDateSource=dateHeader` dates the message by its Date header instead of the time of the call.
    """
    caller = authorize(state, request, INSERT_SCOPES, ("internalDateSource",))
    source = request.query_params.get("internalDateSource", "receivedTime")
    if source not in ("receivedTime", "dateHeader"):
        raise ApiError(
            400,
            f"Invalid value at 'internal_date_source' "
            f'(type.googleapis.com/google.apps.gmail.v1.InsertMessageRequest.InternalDateSource), "{source}"',
            "invalid",
        )
    body = await json_body(request, MESSAGE_FIELDS)
    message = _message_from(body)
    labels = string_list(body, "labelIds")
    known = all_labels(caller.mailbox)
    for label_id in labels:
        if label_id not in known or label_id in ("DRAFT", "CHAT"):
            raise ApiError(400, f"Invalid label: {label_id}", "invalidArgument")
    thread_id = resolve_thread(state, caller.mailbox, body.get("threadId"), message)
    stored = store_message(state, caller.mailbox, gmail_mime.to_bytes(message), thread_id, set(labels))
    if source == "dateHeader" and message.get("Date") is not None:
        try:
            dated = parsedate_to_datetime(str(message["Date"]))
        except (TypeError, ValueError):
            dated = None
        if dated is not None and dated.tzinfo is not None:
            stored.internal_date_ms = int(dated.timestamp() * 1000)
    return GoogleJSONResponse(message_ref(stored))


def _draft_message(body: dict[str, Any]) -> dict[str, Any]:
    draft_message = body.get("message")
    if not isinstance(draft_message, dict):
        raise ApiError(400, "Missing draft message", "invalidArgument")
    fields = cast(dict[str, Any], draft_message)
    check_fields(fields, MESSAGE_FIELDS)
    return fields


def _save_draft(state: GmailState, caller: Caller, fields: dict[str, Any]) -> StoredMessage:
    return save_draft_message(state, caller, _message_from(fields), fields.get("threadId"))


def save_draft_message(
    state: GmailState, caller: Caller, message: EmailMessage, thread_id: str | None
) -> StoredMessage:
    """Keep `message` as a draft's message (DRAFT), signed as the caller, in `thread_id` if its subject fits."""
    _sign(message, caller.person, caller.mailbox)
    thread = resolve_thread(state, caller.mailbox, thread_id, message)
    return store_message(state, caller.mailbox, gmail_mime.to_bytes(message), thread, {"DRAFT"})


def new_draft(state: GmailState, caller: Caller, stored: StoredMessage) -> Draft:
    """Register a stored DRAFT message as a new draft."""
    draft = Draft(id=f"r{int(state.world.next_id(), 16)}", message_id=stored.id)
    caller.mailbox.drafts[draft.id] = draft
    return draft


def find_draft(caller: Caller, draft_id: object) -> Draft:
    """The caller's draft `draft_id`; raises Gmail's 404 when there is none."""
    draft = caller.mailbox.drafts.get(draft_id) if isinstance(draft_id, str) else None
    if draft is None or draft.message_id not in caller.mailbox.messages:
        raise not_found()
    return draft


def send_existing_draft(state: GmailState, caller: Caller, draft: Draft) -> StoredMessage:
    """Send a draft as it stands: it leaves the drafts, and its message is sent as a new one."""
    kept = caller.mailbox.messages[draft.message_id]
    message = gmail_mime.parse_message(kept.raw)
    recipients(message)  # refuse before the draft is consumed
    del caller.mailbox.messages[kept.id]
    del caller.mailbox.drafts[draft.id]
    return send_message(state, caller, message, kept.thread_id)


def _draft_ref(draft: Draft, stored: StoredMessage) -> dict[str, Any]:
    return {"id": draft.id, "message": message_ref(stored)}


async def create_draft(state: GmailState, request: Request) -> Response:
    """POST drafts {message: {raw, threadId?}}."""
    caller = authorize(state, request, DRAFT_WRITE_SCOPES)
    await check_simple_size(request)
    return _create_draft(state, caller, _draft_message(await json_body(request, _DRAFT_FIELDS)))


async def upload_draft(state: GmailState, request: Request) -> Response:
    """POST /upload/…/drafts: the message as media, metadata {message: {threadId?}} beside it."""
    caller = authorize(state, request, DRAFT_WRITE_SCOPES)
    metadata, data = await uploaded(request)
    check_fields(metadata, _DRAFT_FIELDS - {"id"})
    inner = _draft_message(metadata) if metadata.get("message") is not None else {}
    if "raw" in inner:
        raise ApiError(400, "Give the message either as raw or as the upload, not both.", "invalidArgument")
    return _create_draft(state, caller, {**inner, "raw": gmail_mime.encode_base64url(data)})


def _create_draft(state: GmailState, caller: Caller, fields: dict[str, Any]) -> Response:
    stored = _save_draft(state, caller, fields)
    return GoogleJSONResponse(_draft_ref(new_draft(state, caller, stored), stored))


async def list_drafts(state: GmailState, request: Request) -> Response:
    """GET drafts: newest first, filtered by `q`."""
    caller = authorize(state, request, DRAFT_READ_SCOPES, ("q", "maxResults", "pageToken", "includeSpamTrash"))
    mailbox = caller.mailbox
    query = parse_query(request.query_params.get("q", ""))
    context = state.search_context(mailbox)
    by_message = {draft.message_id: draft for draft in mailbox.drafts.values()}
    found = [
        stored
        for stored in newest_first(mailbox.messages[mid] for mid in by_message if mid in mailbox.messages)
        if matches(query, state.parsed(mailbox, stored).facts, stored.label_ids, context)
    ]
    chunk, token = page(request, found)
    body: dict[str, Any] = {}
    if chunk:
        body["drafts"] = [{"id": by_message[s.id].id, "message": {"id": s.id, "threadId": s.thread_id}} for s in chunk]
    if token:
        body["nextPageToken"] = token
    body["resultSizeEstimate"] = len(found)
    return GoogleJSONResponse(body)


async def get_draft(state: GmailState, request: Request) -> Response:
    """GET drafts/{id}?format=."""
    caller = authorize(state, request, DRAFT_READ_SCOPES, ("format",))
    fmt = format_param(request, ("full", "metadata", "minimal", "raw"))
    draft = find_draft(caller, request.path_params["id"])
    stored = caller.mailbox.messages[draft.message_id]
    return GoogleJSONResponse({"id": draft.id, "message": message_resource(state, caller.mailbox, stored, fmt)})


async def update_draft(state: GmailState, request: Request) -> Response:
    """PUT drafts/{id}: replace the draft's message (it gets a new message id, as in Gmail)."""
    caller = authorize(state, request, DRAFT_WRITE_SCOPES)
    draft = find_draft(caller, request.path_params["id"])
    fields = _draft_message(await json_body(request, _DRAFT_FIELDS))
    stored = _save_draft(state, caller, fields)
    del caller.mailbox.messages[draft.message_id]
    draft.message_id = stored.id
    return GoogleJSONResponse(_draft_ref(draft, stored))


async def delete_draft(state: GmailState, request: Request) -> Response:
    """DELETE drafts/{id}: gone for good, not trashed."""
    caller = authorize(state, request, DRAFT_WRITE_SCOPES)
    draft = find_draft(caller, request.path_params["id"])
    del caller.mailbox.messages[draft.message_id]
    del caller.mailbox.drafts[draft.id]
    return Response(status_code=204)


async def send_draft(state: GmailState, request: Request) -> Response:
    """POST drafts/send {id, message?}: send the draft (updated first if a message is given)."""
    caller = authorize(state, request, DRAFT_WRITE_SCOPES)
    body = await json_body(request, _DRAFT_FIELDS)
    draft = find_draft(caller, body.get("id"))
    if body.get("message") is not None:
        stored = _save_draft(state, caller, _draft_message(body))
        del caller.mailbox.messages[draft.message_id]
        draft.message_id = stored.id
    return GoogleJSONResponse(message_ref(send_existing_draft(state, caller, draft)))


def compose_routes(state: GmailState, user: str) -> list[Route]:
    """The send and draft routes under `user` (".../users/{userId}"), and their upload twins."""
    return [
        Route(f"{user}/messages", endpoint(state, insert), methods=["POST"]),
        Route(f"{user}/messages/send", endpoint(state, send), methods=["POST"]),
        Route(f"{user}/drafts", endpoint(state, list_drafts), methods=["GET"]),
        Route(f"{user}/drafts", endpoint(state, create_draft), methods=["POST"]),
        Route(f"{user}/drafts/send", endpoint(state, send_draft), methods=["POST"]),
        Route(f"{user}/drafts/{{id}}", endpoint(state, get_draft), methods=["GET"]),
        Route(f"{user}/drafts/{{id}}", endpoint(state, update_draft), methods=["PUT"]),
        Route(f"{user}/drafts/{{id}}", endpoint(state, delete_draft), methods=["DELETE"]),
        Route(f"/upload{user}/messages/send", endpoint(state, upload_send), methods=["POST"]),
        Route(f"/upload{user}/drafts", endpoint(state, upload_draft), methods=["POST"]),
    ]
