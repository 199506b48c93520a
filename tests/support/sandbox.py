"""One sandbox served for many tests, put back to its just-seeded state before each of them.

Seeding the world and warming the sandbox's parse cache cost more than most tests; restoring a
deep copy of the seeded world costs a few milliseconds, and keeps one test's sent mail, created
events or revoked grants out of the next test.
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, datetime

from sandbox.fathom.api import FathomLimits
from sandbox.gmail.api import gmail_state
from sandbox.seed import build_world
from sandbox.server import SandboxServer
from sandbox.world import World


def _this_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


class SharedSandbox:
    """A running sandbox plus a pristine copy of its seeded world."""

    def __init__(self) -> None:
        self.server = SandboxServer()
        self._seeded = _this_hour()
        self._pristine = copy.deepcopy(self.server.world)

    def __enter__(self) -> SharedSandbox:
        self.server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.stop()

    def fresh(self) -> SandboxServer:
        """The sandbox as a newly started one would be: seeded world, no faults, no logged requests."""
        gmail = gmail_state(self.server.gmail_app)
        if _this_hour() != self._seeded:  # a new sandbox would lay its world out around this hour
            self._seeded, self._pristine = _this_hour(), build_world()
            gmail._parsed.clear()
        restored = copy.deepcopy(self._pristine)
        # Ids handed out after a restore never repeat; the identity provider keeps the key it started with.
        restored.last_id = self.server.world.last_id
        restored.signing_key = self.server.world.signing_key
        for field in dataclasses.fields(World):
            setattr(self.server.world, field.name, getattr(restored, field.name))
        gmail.batch_part_limit = None
        limits: FathomLimits = self.server.fathom_app.state.limits
        for field in dataclasses.fields(FathomLimits):
            setattr(limits, field.name, getattr(FathomLimits(), field.name))
        self.server.faults.clear()
        return self.server
