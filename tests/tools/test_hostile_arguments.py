"""Random and hostile arguments thrown at every tool: only validation errors or ToolErrors come back."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.seed import ALICE
from tests.support.fathom import store_fathom_key
from tests.support.mcp_session import Session, mcp_session
from tests.support.sandbox import SharedSandbox
from tests.support.stack import running_stack

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "../../etc/passwd",
    "'; DROP TABLE users;--",
    "<script>alert(1)</script>",
    "a" * 5000,
    "😀" * 50,
    "x@y.z\r\nBcc: everyone@evil.example",
    "{{7*7}}",
    "is:unread OR (from:",
    "9999-12-31T23:59:59Z",
    "2026-02-30",
    "0000-00-00",
    "next",
    "-1",
    "%2F..%2F",
]
JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(allow_nan=False), st.text(max_size=50)
)
ANY_JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
TEXT = st.sampled_from(HOSTILE_TEXT) | st.text(max_size=200)


def value_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "anyOf" in schema:
        return st.one_of([value_for(option) for option in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | TEXT
    kind = schema.get("type")
    if kind == "string":
        return TEXT
    if kind == "integer":
        return st.integers(-(10**12), 10**12) | st.sampled_from([0, -1, 1, 10**9, schema.get("maximum", 5)])
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(value_for(schema.get("items", {})), max_size=4)
    if kind == "null":
        return st.none()
    return ANY_JSON


def arguments_for(input_schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties: dict[str, Any] = input_schema.get("properties", {})
    fields = {name: value_for(prop) | ANY_JSON for name, prop in properties.items()}
    return st.fixed_dictionaries({}, optional=fields) | st.dictionaries(st.text(max_size=10), ANY_JSON, max_size=3)


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, shared_sandbox: SharedSandbox
) -> Iterator[tuple[BlockingPortal, Session, list[Any]]]:
    path: Path = tmp_path_factory.mktemp("hostile")
    with running_stack(path, shared_sandbox.fresh()) as stack, start_blocking_portal() as portal:
        with portal.wrap_async_context_manager(mcp_session(stack, ALICE)) as session:
            portal.call(store_fathom_key, stack, ALICE)
            tools = portal.call(session.client.list_tools).tools
            yield portal, session, tools


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_hostile_arguments_get_a_validation_error_or_a_tool_error_never_a_crash(
    live: tuple[BlockingPortal, Session, list[Any]], data: st.DataObject
) -> None:
    portal, session, tools = live
    tool = data.draw(st.sampled_from(tools), label="tool")
    arguments = data.draw(arguments_for(tool.input_schema), label="arguments")
    text, is_error = portal.call(session.call, tool.name, arguments)
    assert text.strip(), "an empty answer"
    assert "unexpected error" not in text, text
    assert "Traceback" not in text, text
    if is_error:
        assert text.strip() != f"Error executing tool {tool.name}", "a bare SDK error with no next step"
