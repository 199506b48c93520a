"""GmailClient: one method per Gmail API endpoint we use, typed results, batched metadata fan-out."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import uuid
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any

import httpx2

from app.upstream.errors import BadRequest, InvalidId, RateLimited, UpstreamUnavailable, google_error_for
from app.upstream.gmail_batch import PartResponse, encode_batch, get_path, parse_batch
from app.upstream.gmail_models import (
    Attachment,
    Draft,
    DraftMessage,
    GmailMessage,
    GmailThread,
    Label,
    MessageList,
    MessageRef,
    SendAs,
)
from app.upstream.google_api import GoogleApi, path_segment

SERVICE = "Gmail"
BATCH_CHUNK = 25  # Gmail answers per-part 429s for larger batches of messages.get
BATCH_CONCURRENCY = 4
BATCH_PART_ATTEMPTS = 4
# messages.send and drafts.create take a message as base64url `raw` in JSON up to about 5 MB; larger
# ones go through the upload endpoint as message/rfc822, which takes up to 35 MB.
SIMPLE_LIMIT = 5 * 1024 * 1024
MAX_UPLOAD = 35 * 1024 * 1024
# What a search reads of each message: who, when, about what, and whether it is list or machine mail.
METADATA_HEADERS = (
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "List-Unsubscribe",
    "List-Id",
    "Precedence",
    "Auto-Submitted",
    "Reply-To",
    "Message-ID",
)


class GmailClient:
    """The Gmail API for one user (`users/me`)."""

    def __init__(self, api: GoogleApi) -> None:
        self.api = api
        self._prefix = "/gmail/v1/users/me"

    # -- reading ------------------------------------------------------------------------------

    async def list_messages(
        self,
        query: str = "",
        *,
        max_results: int = 20,
        page_token: str | None = None,
        label_ids: Sequence[str] = (),
        include_spam_trash: bool = False,
    ) -> MessageList:
        params: dict[str, Any] = {"maxResults": max(1, min(max_results, 500))}
        if query:
            params["q"] = query
        if page_token:
            params["pageToken"] = page_token
        if label_ids:
            params["labelIds"] = list(label_ids)
        if include_spam_trash:
            params["includeSpamTrash"] = "true"
        return await self.api.get_model(f"{self._prefix}/messages", MessageList, params=params)

    async def get_message(
        self, message_id: str, *, format: str = "full", metadata_headers: Sequence[str] = ()
    ) -> GmailMessage:
        params: dict[str, Any] = {"format": format}
        if metadata_headers:
            params["metadataHeaders"] = list(metadata_headers)
        return await self.api.get_model(
            f"{self._prefix}/messages/{_segment(message_id)}", GmailMessage, params=params, what=f"message {message_id}"
        )

    async def get_thread(
        self, thread_id: str, *, format: str = "full", metadata_headers: Sequence[str] = ()
    ) -> GmailThread:
        params: dict[str, Any] = {"format": format}
        if metadata_headers:
            params["metadataHeaders"] = list(metadata_headers)
        return await self.api.get_model(
            f"{self._prefix}/threads/{_segment(thread_id)}", GmailThread, params=params, what=f"thread {thread_id}"
        )

    async def get_messages_metadata(
        self, ids: Sequence[str], headers: Sequence[str] = METADATA_HEADERS
    ) -> list[GmailMessage]:
        """Metadata for many messages through the batch endpoint, in the order of `ids`.

        Chunks of 25 go out concurrently; parts Gmail throttles are retried with backoff and
        messages that no longer exist are left out.
        """
        params = [("format", "metadata"), *(("metadataHeaders", h) for h in headers)]
        unique = list(dict.fromkeys(ids))
        found = await self._batch_get_all(unique, params)
        return [found[i] for i in unique if i in found]

    async def existing_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` are messages in this mailbox (format=minimal through the batch endpoint).

        An id Gmail calls invalid (400 "Invalid id value") counts as missing, like an unknown one.
        """
        well_formed = [i for i in dict.fromkeys(ids) if _well_formed(i)]
        found = await self._batch_get_all(well_formed, [("format", "minimal")], invalid_is_missing=True)
        return set(found)

    async def _batch_get_all(
        self, unique: list[str], params: list[tuple[str, str]], *, invalid_is_missing: bool = False
    ) -> dict[str, GmailMessage]:
        found: dict[str, GmailMessage] = {}
        if not unique:
            return found
        semaphore = asyncio.Semaphore(BATCH_CONCURRENCY)

        async def run_chunk(chunk: list[str]) -> None:
            async with semaphore:
                await self._batch_get(chunk, params, found, invalid_is_missing)

        chunks = [unique[i : i + BATCH_CHUNK] for i in range(0, len(unique), BATCH_CHUNK)]
        try:
            async with asyncio.TaskGroup() as group:
                for chunk in chunks:
                    group.create_task(run_chunk(chunk))
        except ExceptionGroup as failed:
            raise _first(failed) from None  # callers handle one upstream error, not a group
        return found

    async def _batch_get(
        self, ids: list[str], params: list[tuple[str, str]], found: dict[str, GmailMessage], invalid_is_missing: bool
    ) -> None:
        pending = list(ids)
        for attempt in range(1, BATCH_PART_ATTEMPTS + 1):
            paths = {mid: get_path(f"{self._prefix}/messages/{_segment(mid)}", params) for mid in pending}
            content_type, body = encode_batch(paths)
            response = await self.api.send(
                "POST",
                self.api.base_url + "/batch/gmail/v1",  # at the API host's root, beside /gmail/v1
                content=body,
                headers={"Content-Type": content_type},
                weight=len(paths),  # Google counts each part of a batch as a request of its own
            )
            parts = parse_batch(response.headers.get("content-type", ""), response.content)
            retry: list[str] = []
            wait = 0.0
            for part in parts:
                if part.content_id not in paths:
                    continue
                if 200 <= part.status < 300:
                    found[part.content_id] = GmailMessage.model_validate(part.body)
                elif part.status == 404:
                    continue  # deleted since the list call
                elif invalid_is_missing and isinstance(_part_error(part), InvalidId):
                    continue
                elif (part.status in (429, 403) and _part_rate_limited(part)) or part.status >= 500:
                    retry.append(part.content_id)
                    wait = max(wait, part.retry_after or 0.0)
                else:
                    raise _part_error(part)
            answered = {p.content_id for p in parts}
            retry += [mid for mid in pending if mid not in answered]
            if not retry:
                return
            if attempt == BATCH_PART_ATTEMPTS:
                raise RateLimited(
                    "Gmail is throttling this account; try again in a minute.",
                    service=SERVICE,
                    retry_after=wait or None,
                )
            pending = retry
            await asyncio.sleep(wait or random.uniform(0.1, 0.3) * 2**attempt)  # noqa: S311 - jitter

    async def list_labels(self) -> list[Label]:
        body = await self.api.get_json(f"{self._prefix}/labels")
        return [Label.model_validate(item) for item in body.get("labels", [])]

    async def get_attachment(self, message_id: str, attachment_id: str) -> Attachment:
        body = await self.api.get_json(
            f"{self._prefix}/messages/{_segment(message_id)}/attachments/{_segment(attachment_id)}",
            what=f"attachment {attachment_id} of message {message_id}",
        )
        return Attachment.model_validate(body)

    async def list_send_as(self) -> list[SendAs]:
        """The account's own address and its aliases, with signatures (users.settings.sendAs.list)."""
        body = await self.api.get_json(f"{self._prefix}/settings/sendAs")
        return [SendAs.model_validate(item) for item in body.get("sendAs", [])]

    async def get_profile(self) -> dict[str, Any]:
        return await self.api.get_json(f"{self._prefix}/profile")

    # -- writing ------------------------------------------------------------------------------

    async def send_message(self, message: EmailMessage, thread_id: str | None = None) -> MessageRef:
        """Send once: a send is never retried when it might have gone through."""
        result = await self._post_message("messages/send", message, thread_id, draft=False)
        return MessageRef.model_validate(result)

    async def create_draft(self, message: EmailMessage, thread_id: str | None = None) -> Draft:
        result = await self._post_message("drafts", message, thread_id, draft=True)
        return Draft.model_validate(result)

    async def _post_message(
        self, path: str, message: EmailMessage, thread_id: str | None, *, draft: bool
    ) -> dict[str, Any]:
        """POST a message as JSON `raw`, or through the upload endpoint when it is too large for that.

        Raises:
            BadRequest: the message is larger than Gmail takes at all.
        """
        data = message.as_bytes()
        inner: dict[str, Any] = {"threadId": thread_id} if thread_id else {}
        if len(data) * 4 // 3 + 1024 <= SIMPLE_LIMIT:
            inner["raw"] = base64.urlsafe_b64encode(data).decode()
            body = {"message": inner} if draft else inner
            return await self.api.call_json("POST", f"{self._prefix}/{path}", body=body, idempotent=False)
        if len(data) > MAX_UPLOAD:
            raise BadRequest(
                f"The message is {len(data) / 1024 / 1024:.1f} MB, over the 35 MB Gmail sends; leave out "
                "attachments or share them as links.",
                service=SERVICE,
            )
        boundary = f"switchboard-{uuid.uuid4().hex}"
        metadata = json.dumps({"message": inner} if draft else inner).encode()
        content = b"".join(
            [
                f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".encode(),
                metadata,
                f"\r\n--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n".encode(),
                data,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        response = await self.api.send(
            "POST",
            f"{self.api.base_url}/upload{self._prefix}/{path}",
            params={"uploadType": "multipart"},
            content=content,
            headers={"Content-Type": f"multipart/related; boundary={boundary}"},
            idempotent=False,
        )
        return response.json()

    async def send_draft(
        self, draft_id: str, message: EmailMessage | None = None, thread_id: str | None = None
    ) -> MessageRef:
        """Send a draft; with `message`, exactly that message (Gmail updates the draft with it, then sends)."""
        body: dict[str, Any] = {"id": draft_id}
        if message is not None:
            inner: dict[str, Any] = {"raw": base64.urlsafe_b64encode(message.as_bytes()).decode()}
            if thread_id:
                inner["threadId"] = thread_id
            body["message"] = inner
        result = await self.api.call_json(
            "POST", f"{self._prefix}/drafts/send", body=body, idempotent=False, what=f"draft {draft_id}"
        )
        return MessageRef.model_validate(result)

    async def list_drafts(self, *, max_results: int = 20) -> list[Draft]:
        body = await self.api.get_json(f"{self._prefix}/drafts", params={"maxResults": max_results})
        return [Draft.model_validate(item) for item in body.get("drafts", [])]

    async def get_draft(self, draft_id: str, *, format: str = "raw") -> DraftMessage:
        body = await self.api.get_json(
            f"{self._prefix}/drafts/{_segment(draft_id)}", params={"format": format}, what=f"draft {draft_id}"
        )
        return DraftMessage.model_validate(body)

    async def update_draft(self, draft_id: str, message: EmailMessage, thread_id: str | None = None) -> Draft:
        """Replace a draft's message (Gmail gives the new message a new id; the draft id stays)."""
        inner: dict[str, Any] = {"raw": base64.urlsafe_b64encode(message.as_bytes()).decode()}
        if thread_id:
            inner["threadId"] = thread_id
        result = await self.api.call_json(
            "PUT",
            f"{self._prefix}/drafts/{_segment(draft_id)}",
            body={"id": draft_id, "message": inner},
            what=f"draft {draft_id}",
        )
        return Draft.model_validate(result)

    async def create_label(self, name: str) -> Label:
        """A new user label, shown in the label list and on messages (Gmail answers 409 for a taken name)."""
        body = {"name": name, "labelListVisibility": "labelShow", "messageListVisibility": "show"}
        result = await self.api.call_json("POST", f"{self._prefix}/labels", body=body, idempotent=False)
        return Label.model_validate(result)

    async def modify_message(
        self, message_id: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> GmailMessage:
        result = await self.api.call_json(
            "POST",
            f"{self._prefix}/messages/{_segment(message_id)}/modify",
            body={"addLabelIds": list(add), "removeLabelIds": list(remove)},
            what=f"message {message_id}",
        )
        return GmailMessage.model_validate(result)

    async def batch_modify(self, ids: Sequence[str], add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        for start in range(0, len(ids), 1000):
            await self.api.call_json(
                "POST",
                f"{self._prefix}/messages/batchModify",
                body={"ids": list(ids[start : start + 1000]), "addLabelIds": list(add), "removeLabelIds": list(remove)},
            )

    async def trash_message(self, message_id: str) -> GmailMessage:
        result = await self.api.call_json(
            "POST", f"{self._prefix}/messages/{_segment(message_id)}/trash", what=f"message {message_id}"
        )
        return GmailMessage.model_validate(result)


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


def _well_formed(message_id: str) -> bool:
    try:
        _segment(message_id)
    except InvalidId:
        return False
    return True


def _segment(value: str) -> str:
    """An id as one URL path segment (ids are opaque; never let one add path components)."""
    return path_segment(value, "Gmail")


def _part_rate_limited(part: PartResponse) -> bool:
    if part.status == 429:
        return True
    error = part.body.get("error") if isinstance(part.body, dict) else None
    reasons = {e.get("reason") for e in (error or {}).get("errors", []) if isinstance(e, dict)}
    return bool(reasons & {"userRateLimitExceeded", "rateLimitExceeded"})


def _part_error(part: PartResponse) -> Exception:
    response = httpx2.Response(part.status, json=part.body if isinstance(part.body, dict) else {})
    error = google_error_for(response, SERVICE, what=f"message {part.content_id}")
    if part.status == 401:
        return UpstreamUnavailable("Gmail rejected part of a batch request; try again.", service=SERVICE)
    return error
