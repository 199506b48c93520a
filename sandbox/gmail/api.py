"""The sandbox Gmail API v1, served from Gmail's host root (`/gmail/v1/users/{userId}/…`, `/batch/gmail/v1`).

Reads, label changes, labels, attachments and the profile live here; sending and drafts in
`gmail_compose`, the batch endpoint in `gmail_batch`, search in `gmail_query`, MIME in `gmail_mime`.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.gmail.batch import batch
from sandbox.gmail.compose import compose_routes
from sandbox.gmail.http import (
    BODY_SCOPES,
    LABEL_READ_SCOPES,
    LABEL_WRITE_SCOPES,
    MODIFY_SCOPES,
    PROFILE_SCOPES,
    READ_SCOPES,
    SETTINGS_READ_SCOPES,
    ApiError,
    Caller,
    GoogleJSONResponse,
    authorize,
    bool_param,
    endpoint,
    format_param,
    json_body,
    not_found,
    page,
    string_list,
)
from sandbox.gmail.mime import encode_base64url
from sandbox.gmail.query import Node, parse_query
from sandbox.gmail.store import (
    GmailState,
    add_label,
    all_labels,
    check_modifiable_labels,
    label_resource,
    message_ref,
    message_resource,
    relabel,
    select,
    thread_messages,
    thread_resource,
)
from sandbox.world import StoredMessage, World

_USER = "/gmail/v1/users/{userId}"
_LIST_PARAMS = ("q", "maxResults", "pageToken", "labelIds", "includeSpamTrash")
_MODIFY_FIELDS = frozenset({"addLabelIds", "removeLabelIds"})
_LABEL_FIELDS = frozenset(
    {"id", "name", "type", "messageListVisibility", "labelListVisibility", "color"}
    | {"messagesTotal", "messagesUnread", "threadsTotal", "threadsUnread"}
)
MAX_BATCH_MODIFY_IDS = 1000


def _missing(item_id: str) -> ApiError:
    """Gmail answers 400 for an id that cannot be one, 404 for a well-formed unknown id."""
    if not re.fullmatch(r"[0-9a-fA-F]{1,16}", item_id):
        return ApiError(400, "Invalid id value", "invalidArgument")
    return not_found()


def _message(caller: Caller, message_id: str) -> StoredMessage:
    stored = caller.mailbox.messages.get(message_id)
    if stored is None:
        raise _missing(message_id)
    return stored


def _thread(caller: Caller, thread_id: str) -> list[StoredMessage]:
    messages = thread_messages(caller.mailbox, thread_id)
    if not messages:
        raise _missing(thread_id)
    return messages


def _query(caller: Caller, request: Request) -> Node:
    query = request.query_params.get("q", "")
    if query and not caller.can_read_bodies():
        raise ApiError(403, "Metadata scope does not support 'q' parameter", "forbidden")
    return parse_query(query)


def _body_format(caller: Caller, request: Request, allowed: tuple[str, ...]) -> str:
    fmt = format_param(request, allowed)
    if fmt in ("full", "raw") and not caller.can_read_bodies():
        raise ApiError(403, f"Metadata scope doesn't allow format {fmt.upper()}", "forbidden")
    return fmt


async def profile(state: GmailState, request: Request) -> Response:
    """GET profile."""
    caller = authorize(state, request, PROFILE_SCOPES)
    messages = caller.mailbox.messages.values()
    return GoogleJSONResponse(
        {
            "emailAddress": caller.person.email,
            "messagesTotal": len(messages),
            "threadsTotal": len({m.thread_id for m in messages}),
            "historyId": str(state.history_id(caller.mailbox)),
        }
    )


def _send_as(caller: Caller) -> list[dict[str, Any]]:
    """The account's own address (primary, default) and its verified or pending aliases, as Gmail lists them."""
    person, mailbox = caller.person, caller.mailbox
    entries: list[dict[str, Any]] = [
        {
            "sendAsEmail": person.email,
            "displayName": person.name,
            "replyToAddress": "",
            "signature": mailbox.signature,
            "isPrimary": True,
            "isDefault": True,
            "treatAsAlias": False,
        }
    ]
    for alias in mailbox.aliases:
        entry: dict[str, Any] = {
            "sendAsEmail": alias.email,
            "displayName": alias.display_name,
            "replyToAddress": alias.reply_to,
            "signature": alias.signature,
            "treatAsAlias": True,
            "verificationStatus": "accepted" if alias.verified else "pending",
        }
        entries.append(entry)
    return entries


async def list_send_as(state: GmailState, request: Request) -> Response:
    """GET settings/sendAs."""
    return GoogleJSONResponse({"sendAs": _send_as(authorize(state, request, SETTINGS_READ_SCOPES))})


async def get_send_as(state: GmailState, request: Request) -> Response:
    """GET settings/sendAs/{email}."""
    wanted = request.path_params["email"].casefold()
    found = [
        e for e in _send_as(authorize(state, request, SETTINGS_READ_SCOPES)) if e["sendAsEmail"].casefold() == wanted
    ]
    if not found:
        raise not_found()
    return GoogleJSONResponse(found[0])


async def list_messages(state: GmailState, request: Request) -> Response:
    """GET messages: ids only, newest first; `messages` is left out when nothing matched."""
    caller = authorize(state, request, READ_SCOPES, _LIST_PARAMS)
    query, spam_trash = _query(caller, request), bool_param(request, "includeSpamTrash")
    found = select(state, caller.mailbox, query, request.query_params.getlist("labelIds"), spam_trash)
    chunk, token = page(request, found)
    body: dict[str, Any] = {}
    if chunk:
        body["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in chunk]
    if token:
        body["nextPageToken"] = token
    body["resultSizeEstimate"] = len(found)
    return GoogleJSONResponse(body)


async def get_message(state: GmailState, request: Request) -> Response:
    """GET messages/{id}?format=&metadataHeaders=."""
    caller = authorize(state, request, READ_SCOPES, ("format", "metadataHeaders"))
    fmt = _body_format(caller, request, ("full", "metadata", "minimal", "raw"))
    stored = _message(caller, request.path_params["id"])
    headers = request.query_params.getlist("metadataHeaders")
    return GoogleJSONResponse(message_resource(state, caller.mailbox, stored, fmt, headers))


async def _label_change(
    caller: Caller, request: Request, fields: frozenset[str]
) -> tuple[dict[str, Any], list[str], list[str]]:
    """The request body and its label ids to add and remove, all known and modifiable."""
    body = await json_body(request, fields)
    add, remove = string_list(body, "addLabelIds"), string_list(body, "removeLabelIds")
    check_modifiable_labels(caller.mailbox, add + remove)
    return body, add, remove


async def modify_message(state: GmailState, request: Request) -> Response:
    """POST messages/{id}/modify {addLabelIds, removeLabelIds}."""
    caller = authorize(state, request, MODIFY_SCOPES)
    stored = _message(caller, request.path_params["id"])
    _, add, remove = await _label_change(caller, request, _MODIFY_FIELDS)
    relabel(state, caller.mailbox, stored, add, remove)
    return GoogleJSONResponse(message_ref(stored))


async def batch_modify(state: GmailState, request: Request) -> Response:
    """POST messages/batchModify {ids, addLabelIds, removeLabelIds}: 204; unknown ids are skipped."""
    caller = authorize(state, request, MODIFY_SCOPES)
    body, add, remove = await _label_change(caller, request, _MODIFY_FIELDS | {"ids"})
    ids = string_list(body, "ids")
    if not ids:
        raise ApiError(400, "ids must be specified", "invalidArgument")
    if len(ids) > MAX_BATCH_MODIFY_IDS:
        raise ApiError(400, f"Too many ids: at most {MAX_BATCH_MODIFY_IDS} are allowed", "invalidArgument")
    for message_id in ids:
        stored = caller.mailbox.messages.get(message_id)
        if stored is not None:
            relabel(state, caller.mailbox, stored, add, remove)
    return Response(status_code=204)


async def trash_message(state: GmailState, request: Request) -> Response:
    """POST messages/{id}/trash or /untrash: the TRASH label on or off."""
    caller = authorize(state, request, MODIFY_SCOPES)
    stored = _message(caller, request.path_params["id"])
    trash = request.url.path.endswith("/trash")
    relabel(state, caller.mailbox, stored, ["TRASH"] if trash else [], [] if trash else ["TRASH"])
    return GoogleJSONResponse(message_ref(stored))


async def get_attachment(state: GmailState, request: Request) -> Response:
    """GET messages/{messageId}/attachments/{id}."""
    caller = authorize(state, request, BODY_SCOPES)
    stored = _message(caller, request.path_params["messageId"])
    attachment_id = request.path_params["id"]
    known = caller.mailbox.attachments.get(attachment_id)
    if known is None or known[0] != stored.id:
        raise ApiError(400, "Invalid attachment token", "invalidArgument")
    data = known[1]
    return GoogleJSONResponse({"attachmentId": attachment_id, "size": len(data), "data": encode_base64url(data)})


async def list_threads(state: GmailState, request: Request) -> Response:
    """GET threads: threads with a matching message, by their newest matching message."""
    caller = authorize(state, request, READ_SCOPES, _LIST_PARAMS)
    query, spam_trash = _query(caller, request), bool_param(request, "includeSpamTrash")
    found = select(state, caller.mailbox, query, request.query_params.getlist("labelIds"), spam_trash)
    thread_ids = list(dict.fromkeys(m.thread_id for m in found))
    chunk, token = page(request, thread_ids)
    body: dict[str, Any] = {}
    if chunk:
        body["threads"] = []
        for thread_id in chunk:
            messages = thread_messages(caller.mailbox, thread_id)
            snippet = state.parsed(caller.mailbox, messages[-1]).snippet
            history = str(max(m.history_id for m in messages))
            body["threads"].append({"id": thread_id, "snippet": snippet, "historyId": history})
    if token:
        body["nextPageToken"] = token
    body["resultSizeEstimate"] = len(thread_ids)
    return GoogleJSONResponse(body)


async def get_thread(state: GmailState, request: Request) -> Response:
    """GET threads/{id}?format=full|metadata|minimal."""
    caller = authorize(state, request, READ_SCOPES, ("format", "metadataHeaders"))
    fmt = _body_format(caller, request, ("full", "metadata", "minimal"))
    thread_id = request.path_params["id"]
    _thread(caller, thread_id)
    headers = request.query_params.getlist("metadataHeaders")
    return GoogleJSONResponse(thread_resource(state, caller.mailbox, thread_id, fmt, headers))


async def modify_thread(state: GmailState, request: Request) -> Response:
    """POST threads/{id}/modify, /trash, /untrash: the change applies to every message."""
    caller = authorize(state, request, MODIFY_SCOPES)
    messages = _thread(caller, request.path_params["id"])
    action = request.url.path.rsplit("/", 1)[1]
    if action == "modify":
        _, add, remove = await _label_change(caller, request, _MODIFY_FIELDS)
    else:
        add, remove = (["TRASH"], []) if action == "trash" else ([], ["TRASH"])
    for stored in messages:
        relabel(state, caller.mailbox, stored, add, remove)
    return GoogleJSONResponse({"id": request.path_params["id"], "messages": [message_ref(m) for m in messages]})


async def list_labels(state: GmailState, request: Request) -> Response:
    """GET labels."""
    caller = authorize(state, request, LABEL_READ_SCOPES)
    labels = all_labels(caller.mailbox).values()
    return GoogleJSONResponse({"labels": [label_resource(caller.mailbox, label, False) for label in labels]})


async def get_label(state: GmailState, request: Request) -> Response:
    """GET labels/{id}, with message and thread counts."""
    caller = authorize(state, request, LABEL_READ_SCOPES)
    label = all_labels(caller.mailbox).get(request.path_params["id"])
    if label is None:
        raise not_found()
    return GoogleJSONResponse(label_resource(caller.mailbox, label, True))


async def create_label(state: GmailState, request: Request) -> Response:
    """POST labels {name}: 409 when the name is taken (system names included)."""
    caller = authorize(state, request, LABEL_WRITE_SCOPES)
    body = await json_body(request, _LABEL_FIELDS)
    label = add_label(caller.mailbox, body.get("name"))
    return GoogleJSONResponse(label_resource(caller.mailbox, label, False))


async def delete_label(state: GmailState, request: Request) -> Response:
    """DELETE labels/{id}: user labels only; messages lose the label."""
    caller = authorize(state, request, LABEL_WRITE_SCOPES)
    label = all_labels(caller.mailbox).get(request.path_params["id"])
    if label is None:
        raise not_found()
    if label.type == "system":
        raise ApiError(400, "Invalid delete request", "invalidArgument")
    del caller.mailbox.labels[label.id]
    for stored in caller.mailbox.messages.values():
        if label.id in stored.label_ids:
            relabel(state, caller.mailbox, stored, [], [label.id])
    return Response(status_code=204)


def create_gmail_app(world: World) -> Starlette:
    """The Gmail API app over `world`, to be mounted at the Gmail host root (`/gmail`)."""
    state = GmailState(world)

    def route(path: str, handler: Any, method: str) -> Route:
        return Route(_USER + path, endpoint(state, handler), methods=[method])

    routes = [
        route("/profile", profile, "GET"),
        route("/messages", list_messages, "GET"),
        route("/messages/batchModify", batch_modify, "POST"),
        *compose_routes(state, _USER),
        route("/messages/{id}", get_message, "GET"),
        route("/messages/{id}/modify", modify_message, "POST"),
        route("/messages/{id}/trash", trash_message, "POST"),
        route("/messages/{id}/untrash", trash_message, "POST"),
        route("/messages/{messageId}/attachments/{id}", get_attachment, "GET"),
        route("/threads", list_threads, "GET"),
        route("/threads/{id}", get_thread, "GET"),
        route("/threads/{id}/modify", modify_thread, "POST"),
        route("/threads/{id}/trash", modify_thread, "POST"),
        route("/threads/{id}/untrash", modify_thread, "POST"),
        route("/settings/sendAs", list_send_as, "GET"),
        route("/settings/sendAs/{email}", get_send_as, "GET"),
        route("/labels", list_labels, "GET"),
        route("/labels", create_label, "POST"),
        route("/labels/{id}", get_label, "GET"),
        route("/labels/{id}", delete_label, "DELETE"),
        Route("/batch/gmail/v1", endpoint(state, batch), methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.gmail = state
    state.app = app
    return app


def gmail_state(app: Starlette) -> GmailState:
    """The Gmail state behind an app made by `create_gmail_app`."""
    state = app.state.gmail
    if not isinstance(state, GmailState):
        raise TypeError("not a Gmail sandbox app")
    return state


def set_batch_part_limit(app: Starlette, limit: int | None) -> None:
    """Answer batch parts after the `limit`-th with a per-part 429, like Gmail; None turns it off."""
    gmail_state(app).batch_part_limit = limit
