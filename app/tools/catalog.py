"""The tool catalog as clients receive it: compact input schemas, cached for the life of the process.

Every tools/list goes into the model's context, so the schemas say only what a model needs. The
schemas pydantic derives repeat the argument name as a `title` on every property, name the
argument model, and spell an optional argument as `anyOf: [T, null]` with `default: null`. Listed,
an optional argument is just `T` and not required; the tool still validates its arguments against
the full model, so a client that sends an explicit null is accepted as before.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.types import Tool, ToolAnnotations

# How long a client may reuse tools/list: the catalog changes only with a redeploy.
CATALOG_TTL_MS = 10 * 60 * 1000

_NULL = {"type": "null"}


def compact_property(schema: dict[str, Any]) -> dict[str, Any]:
    """One property's schema without its title, an optional `T | None` listed as `T`."""
    compact = {key: value for key, value in schema.items() if key != "title"}
    options = compact.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and _NULL in options and compact.get("default", 0) is None:
        (only,) = [option for option in options if option != _NULL]  # pyright: ignore[reportUnknownVariableType]
        del compact["anyOf"], compact["default"]
        compact = {**only, **compact}
    return compact


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's input schema as listed: no titles, optional arguments as their plain type."""
    compact = {key: value for key, value in schema.items() if key != "title"}
    properties = compact.get("properties")
    if isinstance(properties, dict):
        compact["properties"] = {
            name: compact_property(prop)  # pyright: ignore[reportUnknownArgumentType]
            for name, prop in properties.items()  # pyright: ignore[reportUnknownVariableType]
        }
    return compact


def _hints(annotations: ToolAnnotations | None) -> ToolAnnotations | None:
    """The hints without the spec's defaults: every tool reaches the outside world (openWorldHint
    true) and one not marked idempotent is not. readOnlyHint and destructiveHint stay on every tool."""
    if annotations is None:
        return None
    idempotent = annotations.idempotent_hint or None
    return annotations.model_copy(update={"open_world_hint": None, "idempotent_hint": idempotent})


class CatalogServer(MCPServer):
    """An MCPServer whose tools/list carries compact schemas, built once after the tools are registered."""

    _listed: list[Tool] | None = None

    def add_tool(self, *args: Any, **kwargs: Any) -> None:
        self._listed = None
        super().add_tool(*args, **kwargs)

    def remove_tool(self, name: str) -> None:
        self._listed = None
        super().remove_tool(name)

    async def list_tools(self) -> list[Tool]:
        if self._listed is None:
            self._listed = [
                tool.model_copy(
                    update={"input_schema": compact_schema(tool.input_schema), "annotations": _hints(tool.annotations)}
                )
                for tool in await super().list_tools()
            ]
        return self._listed
