"""The sandbox's world kept in one JSON file, so a restarted sandbox is the same Google and Fathom.

A restart keeps everything the app may hold on to: the identity provider's signing key, grants,
refresh and access tokens, message, thread, draft and event ids, and whatever changed during the
run (sent mail, drafts, labels, events). The file is replaced atomically, never half written.

JSON has no bytes, sets, tuples, datetimes or non-string keys; those are written as one-key
objects (`{"$bytes": "…base64…"}`), and the world's dataclasses as `{"$World": {…fields…}}`.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox import world as world_types
from sandbox.world import World

FORMAT = 1
_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in vars(world_types).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == world_types.__name__
}


class StateError(Exception):
    """The saved state cannot be used; the message says why and what to do."""


def _encode(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        return {f"${name}": {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        items: dict[Any, Any] = value  # pyright: ignore[reportUnknownVariableType]
        if all(isinstance(key, str) and not key.startswith("$") for key in items):
            return {key: _encode(item) for key, item in items.items()}
        return {"$dict": [[_encode(key), _encode(item)] for key, item in items.items()]}
    if isinstance(value, list):
        return [_encode(item) for item in value]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, tuple):
        return {"$tuple": [_encode(item) for item in value]}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, set | frozenset):
        return {"$set": sorted(_encode(item) for item in value)}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    raise TypeError(f"cannot save a {type(value).__name__} in the sandbox state")


_TAGGED: dict[str, Callable[[Any], Any]] = {
    "$dict": lambda pairs: {_decode(key): _decode(item) for key, item in pairs},
    "$tuple": lambda items: tuple(_decode(item) for item in items),
    "$set": lambda items: {_decode(item) for item in items},
    "$bytes": lambda text: base64.b64decode(text),
    "$datetime": datetime.fromisoformat,
}


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]  # pyright: ignore[reportUnknownVariableType]
    if not isinstance(value, dict):
        return value
    data: dict[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
    if len(data) == 1:
        ((tag, inner),) = data.items()
        if tag in _TAGGED:
            return _TAGGED[tag](inner)
        if tag.startswith("$"):
            cls = _CLASSES.get(tag[1:])
            if cls is None:
                raise StateError(f"unknown kind of record {tag[1:]!r}")
            known = {f.name for f in dataclasses.fields(cls)}
            return cls(**{name: _decode(item) for name, item in inner.items() if name in known})
    return {key: _decode(item) for key, item in data.items()}


def save_world(path: Path, world: World) -> None:
    """Write the world to `path` atomically (a temporary file beside it, then a rename)."""
    text = json.dumps({"format": FORMAT, "world": _encode(world)}, separators=(",", ":"))
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    partial.chmod(0o600)  # it holds the sandbox's tokens and signing key
    partial.replace(path)


def load_world(path: Path) -> World | None:
    """The world saved at `path`, or None when there is none.

    Raises:
        StateError: the file is there but cannot be read back into a world.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        saved = json.loads(text)
        if not isinstance(saved, dict) or saved.get("format") != FORMAT:  # pyright: ignore[reportUnknownMemberType]
            raise StateError("it was written by another version of the sandbox")
        world = _decode(saved["world"])  # pyright: ignore[reportUnknownArgumentType]
    except (ValueError, KeyError, TypeError) as exc:
        raise StateError(f"it is not a saved sandbox ({exc})") from None
    if not isinstance(world, World):
        raise StateError("it holds no sandbox world")
    return world
