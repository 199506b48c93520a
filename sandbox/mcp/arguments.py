"""Tool argument schemas for the sandbox MCP servers, and their strict checking.

Google's MCP tools are proto messages: arguments have lowerCamelCase JSON names, an unknown name,
a wrong type or a bad enum value is refused (INVALID_ARGUMENT) rather than ignored. The schemas
built here are what `tools/list` shows; `check` applies the same schema to a call's arguments.
Messages follow Google's JSON-parsing errors, naming fields by their proto (snake_case) names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

Schema = dict[str, Any]

_PLAIN_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)


class ArgumentError(Exception):
    """Arguments Google would refuse; the message is the one it would give."""


def string(description: str, *, enum: Sequence[str] = (), default: str | None = None) -> Schema:
    schema: Schema = {"type": "string", "description": description}
    if enum:
        schema["enum"] = list(enum)
    if default is not None:
        schema["default"] = default
    return schema


def integer(description: str, *, default: int | None = None, maximum: int | None = None) -> Schema:
    schema: Schema = {"type": "integer", "description": description, "format": "int32"}
    if default is not None:
        schema["default"] = default
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def boolean(description: str, *, default: bool | None = None) -> Schema:
    schema: Schema = {"type": "boolean", "description": description}
    if default is not None:
        schema["default"] = default
    return schema


def strings(description: str) -> Schema:
    return {"type": "array", "items": {"type": "string"}, "description": description}


def message(properties: Mapping[str, Schema], required: Sequence[str] = (), description: str = "") -> Schema:
    """An object schema (a proto message): only the listed fields, the `required` ones present."""
    schema: Schema = {"type": "object", "properties": dict(properties), "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    return schema


def snake(name: str) -> str:
    """A JSON field name as proto names it (pageSize -> page_size)."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else type(value).__name__


def check(schema: Schema, arguments: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    """The arguments, checked against an object schema; raises `ArgumentError` as Google would."""
    properties: dict[str, Schema] = schema.get("properties", {})
    for name in arguments:
        if name not in properties:
            raise ArgumentError(f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.')
    for name in schema.get("required", []):
        if arguments.get(name) in (None, "", []):
            raise ArgumentError(f"Invalid argument: '{snake(path + name)}' is required.")
    checked: dict[str, Any] = {}
    for name, value in arguments.items():
        if value is not None:
            checked[name] = _value(properties[name], value, path + name)
    return checked


def _value(schema: Schema, value: Any, path: str) -> Any:
    kind = schema.get("type")
    proto = snake(path)
    if kind == "string":
        if not isinstance(value, str):
            raise ArgumentError(f"Invalid value at '{proto}' (TYPE_STRING), {_shown(value)}")
        if "enum" in schema and value not in schema["enum"]:
            raise ArgumentError(f"Invalid value at '{proto}' (enum), {_shown(value)}")
        return value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            raise ArgumentError(f"Invalid value at '{proto}' (TYPE_INT32), {_shown(value)}")
        return int(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ArgumentError(f"Invalid value at '{proto}' (TYPE_BOOL), {_shown(value)}")
        return value
    if kind == "array":
        if not isinstance(value, list):
            raise ArgumentError(f"Invalid value at '{proto}', {_shown(value)}: expected a list")
        items = cast(list[Any], value)
        return [_value(schema["items"], item, f"{path}[{index}]") for index, item in enumerate(items)]
    if kind == "object":
        if not isinstance(value, dict):
            raise ArgumentError(f"Invalid value at '{proto}', {_shown(value)}: expected an object")
        return check(schema, cast(dict[str, Any], value), path + ".")
    return value


def plain_addresses(arguments: Mapping[str, Any], *names: str) -> None:
    """Refuse anything but bare addresses ("user@example.com") in the named list arguments."""
    for name in names:
        for address in arguments.get(name, []):
            if not _PLAIN_ADDRESS.match(address):
                raise ArgumentError(
                    f'Invalid email address in {name}: "{address}". Each recipient must be a plain email '
                    'address such as "user@example.com"; the "Name <email@example.com>" format is not supported.'
                )
