"""The sandbox Gmail MCP server (`gmailmcp.googleapis.com`): its tools as Google's MCP reference declares them.

Names, arguments, enums, defaults and output shapes follow
https://developers.google.com/workspace/gmail/api/reference/mcp (where a schema was not published,
the argument names follow the documented tools'): `send_message` and `send_draft` always ask the
person, so `/mcp/v1self` leaves them out. Google's reference has a `send_message` page whose input
schema was not found; the sandbox gives it `create_draft`'s fields and returns the sent message's
`{id, threadId, labelIds}`.
"""

from __future__ import annotations

from typing import Any

from sandbox.gmail.http import COMPOSE, LABELS, MAIL, MODIFY, READONLY, SEND_SCOPES
from sandbox.gmail.store import GmailState
from sandbox.mcp.arguments import boolean, integer, message, string, strings
from sandbox.mcp.gmail import GmailTools
from sandbox.mcp.server import Product, Tool

READ = (MAIL, MODIFY, READONLY)
WRITE_DRAFTS = (MAIL, MODIFY, COMPOSE)
CHANGE_LABELS = (MAIL, MODIFY)
FORMATS = ("MESSAGE_FORMAT_UNSPECIFIED", "MINIMAL", "FULL_CONTENT")
DRAFT_FORMATS = ("MESSAGE_FORMAT_UNSPECIFIED", "MINIMAL", "FULL_CONTENT", "METADATA_ONLY", "PLAIN_TEXT")
DRAFT_VIEWS = ("DRAFT_VIEW_UNSPECIFIED", "DRAFT_VIEW_FULL", "DRAFT_VIEW_METADATA_ONLY")


def _out(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


_TEXT, _TEXTS = {"type": "string"}, {"type": "array", "items": {"type": "string"}}
MESSAGE = _out(
    {
        "id": _TEXT,
        "snippet": _TEXT,
        "subject": _TEXT,
        "sender": _TEXT,
        "toRecipients": _TEXTS,
        "ccRecipients": _TEXTS,
        "date": _TEXT,
        "plaintextBody": _TEXT,
        "attachmentIds": _TEXTS,
    }
)
THREAD = _out({"id": _TEXT, "messages": {"type": "array", "items": MESSAGE}})
DRAFT = _out(
    {
        "id": _TEXT,
        "subject": _TEXT,
        "threadId": _TEXT,
        "toRecipients": _TEXTS,
        "ccRecipients": _TEXTS,
        "bccRecipients": _TEXTS,
        "plaintextBody": _TEXT,
        "htmlBody": _TEXT,
        "date": _TEXT,
        "viewUrl": _TEXT,
    }
)
LABEL = _out({"labelId": _TEXT, "name": _TEXT})
SENT = _out({"id": _TEXT, "threadId": _TEXT, "labelIds": _TEXTS})
EMPTY = _out({})
_PAGE_TOKEN = string(
    "Optional. Page token to retrieve a specific page of results in the list. Leave empty for the first."
)
_QUERY = string(
    "Optional. A query string to filter results, using the same format as the Gmail search bar "
    '(from:, to:, subject:, is:unread, has:attachment, after:YYYY/MM/DD, newer_than:7d, OR, -, "…").'
)
_PLAIN = (
    'Each string MUST be a valid email address (e.g., "user@example.com"); "Name <email@example.com>" is NOT supported.'
)
_LABEL_IDS = strings(
    "Required. The label ids: a system label ID ('INBOX', 'TRASH', 'SPAM', 'STARRED', 'UNREAD') or a user label ID."
)


def _paged(name: str, plural: str, item: dict[str, Any]) -> dict[str, Any]:
    return _out({plural: {"type": "array", "items": item}, "nextPageToken": _TEXT}) | {"title": name}


def _letter_fields() -> dict[str, Any]:
    """The fields create_draft and send_message share: plain addresses, subject, bodies, the message answered."""
    return {
        "to": strings(f"The primary recipients of the email. {_PLAIN}"),
        "cc": strings(f"Optional. The carbon copy recipients. {_PLAIN}"),
        "bcc": strings(f"Optional. The blind carbon copy recipients. {_PLAIN}"),
        "subject": string("Optional. The subject line of the email. Defaults to empty."),
        "body": string("Optional. The main body (plain text; the alternative when htmlBody is given)."),
        "htmlBody": string("The HTML content of the email (the rich-text version)."),
        "replyToMessageId": string("Optional. The ID of the message to reply to."),
    }


def gmail_product(state: GmailState) -> Product:
    """Gmail's MCP server over the sandbox's Gmail state (shared with the REST app)."""
    tools = GmailTools(state)
    label_args = {"labelIds": _LABEL_IDS}
    thread_labels = message({"threadId": string("Required. The thread's id."), **label_args}, ["threadId", "labelIds"])
    message_labels = message(
        {"messageId": string("Required. The message's id."), **label_args}, ["messageId", "labelIds"]
    )
    return Product(
        "gmail",
        "gmailmcp.googleapis.com",
        [
            Tool(
                "search_threads",
                "Lists email threads from the authenticated user's Gmail account. This tool can filter threads "
                "based on a query string and supports pagination. It returns a list of threads, including their "
                "IDs and related messages (snippet, subject, sender, recipients). Full message bodies are not "
                "returned; use get_thread for them.",
                message(
                    {
                        "pageSize": integer(
                            "Optional. The maximum number of threads to return.", default=20, maximum=50
                        ),
                        "pageToken": _PAGE_TOKEN,
                        "query": _QUERY,
                        "includeTrash": boolean("Optional. Include threads from TRASH in the results.", default=False),
                    }
                ),
                _paged("SearchThreadsResponse", "threads", THREAD),
                READ,
                tools.search_threads,
                read_only=True,
                idempotent=True,
            ),
            Tool(
                "get_thread",
                "Retrieves a specific email thread from the authenticated user's Gmail account, including a list of "
                "its messages.",
                message(
                    {
                        "threadId": string("Required. The unique identifier of the thread to fetch."),
                        "messageFormat": string("Optional. Defaults to FULL_CONTENT.", enum=FORMATS),
                    },
                    ["threadId"],
                ),
                THREAD,
                READ,
                tools.get_thread,
                read_only=True,
                idempotent=True,
            ),
            Tool(
                "get_message",
                "Retrieves a specific email message from the authenticated user's Gmail account.",
                message(
                    {
                        "messageId": string("Required. The unique identifier of the message to fetch."),
                        "messageFormat": string("Optional. Defaults to FULL_CONTENT.", enum=FORMATS),
                    },
                    ["messageId"],
                ),
                MESSAGE,
                READ,
                tools.get_message,
                read_only=True,
                idempotent=True,
            ),
            Tool(
                "list_drafts",
                "Lists draft emails from the authenticated user's Gmail account. This tool can filter drafts based "
                "on a query string and supports pagination. It returns a list of drafts, including their IDs and "
                "subjects (unless view is DRAFT_VIEW_METADATA_ONLY).",
                message(
                    {
                        "pageSize": integer(
                            "Optional. The maximum number of drafts to return.", default=20, maximum=50
                        ),
                        "pageToken": _PAGE_TOKEN,
                        "query": _QUERY,
                        "view": string(
                            "Optional. Which fields to fill in. Defaults to DRAFT_VIEW_FULL.", enum=DRAFT_VIEWS
                        ),
                    }
                ),
                _paged("ListDraftsResponse", "drafts", DRAFT),
                (*READ, COMPOSE),
                tools.list_drafts,
                read_only=True,
                idempotent=True,
            ),
            Tool(
                "get_draft",
                "Retrieves a specific draft by ID, including its viewUrl to view and edit it in the Gmail web UI.",
                message(
                    {
                        "draftId": string("Required. The unique identifier of the draft to fetch."),
                        "messageFormat": string("Optional. Defaults to PLAIN_TEXT.", enum=DRAFT_FORMATS),
                    },
                    ["draftId"],
                ),
                DRAFT,
                (*READ, COMPOSE),
                tools.get_draft,
                read_only=True,
                idempotent=True,
            ),
            Tool(
                "create_draft",
                "Creates a new draft email in the authenticated user's Gmail account. This tool takes recipient "
                "addresses, a subject, and body content as inputs. If the draft is a reply, pass the original "
                "message's ID in replyToMessageId. Creating drafts with attachments is not supported yet.",
                message(_letter_fields()),
                DRAFT,
                WRITE_DRAFTS,
                tools.create_draft,
            ),
            Tool(
                "send_message",
                "Sends an email from the authenticated user's Gmail account. The user is asked to approve the "
                "sender, recipients and subject first. Takes the same fields as create_draft; a reply "
                "(replyToMessageId) joins the original's thread and quotes it.",
                message(_letter_fields()),
                SENT,
                SEND_SCOPES,  # as messages.send: gmail.send is enough
                tools.send_message,
                destructive=True,
                asks=tools.asks_to_send_message,
                always_asks=True,
            ),
            Tool(
                "send_draft",
                "Sends an existing draft from the authenticated user's Gmail account. The user is asked to approve "
                "the recipients and subject first.",
                message({"draftId": string("Required. The unique identifier of the draft to send.")}, ["draftId"]),
                SENT,
                WRITE_DRAFTS,
                tools.send_draft,
                destructive=True,
                asks=tools.asks_to_send,
                always_asks=True,
                cost=2,
            ),
            Tool(
                "list_labels",
                "Lists all user-defined labels in the authenticated user's Gmail account. System labels are not "
                "returned but can be used with their well-known IDs: 'INBOX', 'TRASH', 'SPAM', 'STARRED', 'UNREAD', "
                "'IMPORTANT', 'CHAT', 'DRAFT', 'SENT'.",
                message(
                    {
                        "pageSize": integer("Optional. The maximum number of labels to return."),
                        "pageToken": _PAGE_TOKEN,
                    }
                ),
                _paged("ListLabelsResponse", "labels", LABEL),
                (*READ, LABELS),
                tools.list_labels,
                read_only=True,
                idempotent=True,
            ),
            Tool(
                "create_label",
                "Creates a new label in the authenticated user's Gmail account.",
                message({"displayName": string("Required. The display name of the label to create.")}, ["displayName"]),
                LABEL,
                (*CHANGE_LABELS, LABELS),
                tools.create_label,
            ),
            *(
                Tool(
                    name,
                    text,
                    args,
                    EMPTY,
                    CHANGE_LABELS,
                    lambda call, given, thread=thread, adding=adding: tools.relabel(
                        call, given, thread=thread, adding=adding
                    ),
                    idempotent=True,
                )
                for name, text, args, thread, adding in (
                    (
                        "label_thread",
                        "Adds labels to an entire thread (every message in it).",
                        thread_labels,
                        True,
                        True,
                    ),
                    ("unlabel_thread", "Removes labels from an entire thread.", thread_labels, True, False),
                    ("label_message", "Adds labels to a single message.", message_labels, False, True),
                    ("unlabel_message", "Removes labels from a single message.", message_labels, False, False),
                )
            ),
        ],
    )
