"""Google's own approvals, asked of the person once, through this server's form, and answered back to Google.

Under GOOGLE_ACCESS=mcp an action that needs the person's approval (sending mail, inviting guests,
deleting an event) is answered by Google's `/mcp/v1` with a form instead of a result. A tool does
not show that form itself: `Approvals.relay(plan)` builds the resolvers that (1) make Google's call,
(2) if Google asks, ask the person — Google's question as Google wrote it, after Switchboard's own
notes (the outbound guard's) — and (3) send the person's answer back with that request's own state.

Each round of this stateless server re-runs step 1, so Google is asked again and answers with a
fresh request state; the SDK accepts the person's answer only for the very question it showed
(a digest of its text and form), so an answer can never be spent on another request, and the model
has no way to answer: only the client's elicitation response counts. A request state whose "yes"
was sent to Google is remembered as spent for an hour (across replicas when they share Redis), so a
replayed answer is refused. A decline or a cancel sends
nothing more to Google, and nothing is done.
"""

import functools
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from cachetools import TTLCache
from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Elicit, Resolve
from pydantic import BaseModel, ConfigDict, Field, create_model

from app.tools.caches import MAX_ENTRIES
from app.tools.format import one_line
from app.tools.registrar import reporting
from app.tools.resolvers import serving
from app.upstream.google_mcp import Approval, ApprovalAnswer, GooglePlan

SPENT_TTL = 3600.0
MAX_LINES = 40
MAX_LINE = 300
_TYPES: dict[str, type] = {"string": str, "number": float, "integer": int, "boolean": bool}


@dataclass(frozen=True)
class Outcome:
    """What came of a planned call: Google's result, or why nothing was done."""

    result: dict[str, Any] | None
    said: Literal["done", "declined", "cancelled"] = "done"
    asked: bool = False  # the person was asked (and said yes, when `result` is there)


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid")


def approval_form(schema: dict[str, Any]) -> type[BaseModel]:
    """Google's requested form as a model: its flat fields (string, number, integer, boolean) as Google named them.

    Raises:
        ValueError: the form holds something MCP form elicitation cannot show.
    """
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    fields: dict[str, Any] = {}
    for name, spec in properties.items():
        if not isinstance(spec, dict) or spec.get("type") not in _TYPES:
            raise ValueError(f"Google's form has a field Switchboard cannot show: {name!r}")
        kind: Any = _TYPES[spec["type"]]
        info = Field(
            title=one_line(str(spec.get("title", name)))[:100],
            description=one_line(str(spec.get("description", "")))[:300],
        )
        fields[name] = (kind, info) if name in required else (kind | None, Field(None, title=info.title))
    return create_model("GoogleApproval", __base__=_Form, **fields)


def approval_message(approval: Approval, notes: Sequence[str]) -> str:
    """What the person reads: Switchboard's notes, then Google's question exactly as Google worded it,
    each line on one line (no control, bidi or zero-width characters), bounded."""
    google = [one_line(line)[:MAX_LINE] for line in approval.message.splitlines() if line.strip()][:MAX_LINES]
    return "\n".join([*notes, "Google asks:", *google])


class Approvals:
    """Builds the resolvers that relay Google's approvals for tools (see the module docstring).

    Without `account_url`, errors name the one of the server serving the call (for module-level tools).
    """

    def __init__(self, account_url: str | None = None) -> None:
        self.account_url = account_url
        # Request states whose "yes" was already sent to Google: a replayed answer is refused, never acted on.
        self._spent: TTLCache[str, bool] = TTLCache(maxsize=MAX_ENTRIES, ttl=SPENT_TTL)

    def relay(self, plan: Callable[..., Awaitable[GooglePlan | None]]) -> Callable[..., Awaitable[Outcome | None]]:
        """A resolver giving the tool the `Outcome` of the call `plan` describes (None when `plan` says no call).

        `plan` is the tool's own resolver: it takes the tool's arguments by name. A tool annotates a
        parameter `Annotated[Outcome | None, Resolve(approvals.relay(plan))]`.
        """
        approvals = self
        plan = reporting(plan, self.account_url)

        @functools.partial(reporting, account_url=self.account_url)
        async def first(planned: Annotated[Any, Resolve(plan)]) -> tuple[GooglePlan, dict[str, Any] | Approval] | None:
            if planned is None:
                return None
            return planned, await planned.google.act(planned.product, planned.tool, planned.arguments)

        async def question(made: Annotated[Any, Resolve(first)]) -> Elicit[BaseModel] | None:
            if made is None or not isinstance(made[1], Approval):
                return None
            planned, approval = made
            return Elicit(approval_message(approval, planned.notes), approval_form(approval.requested_schema))

        @functools.partial(reporting, account_url=self.account_url)
        async def outcome(
            ctx: Context[Any, Any],
            made: Annotated[Any, Resolve(first)],
            answer: Annotated[ElicitationResult[BaseModel], Resolve(question)],
        ) -> Outcome | None:
            if made is None:
                return None
            planned, answered = made
            if not isinstance(answered, Approval):
                return Outcome(answered)
            if not isinstance(answer, AcceptedElicitation):
                return Outcome(None, "declined" if answer.action == "decline" else "cancelled", asked=True)
            spent = hashlib.sha256(f"{planned.google.user_id}\n{ctx.request_state}".encode()).hexdigest()
            # Spent here, and across replicas where Redis is shared: a replayed "yes" is refused on any of them.
            if (
                spent in approvals._spent
                or await serving().services.shared.claim(f"approval:{spent}", SPENT_TTL) is False
            ):
                raise ToolError("This answer to Google's question was already used; nothing more was done.")
            approvals._spent[spent] = True
            content = answer.data.model_dump(exclude_none=True)
            result = await planned.google.act(
                planned.product, planned.tool, planned.arguments, ApprovalAnswer(answered, "accept", content)
            )
            if isinstance(result, Approval):
                return Outcome(None, "cancelled", asked=True)  # Google asked again: nothing done, say so
            return Outcome(result, asked=True)

        return outcome
