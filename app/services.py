"""The process-wide resources every request may need, opened by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

import httpx2

from app.config import Settings
from app.crypto import KeyRing
from app.storage.store import Store


@dataclass
class Services:
    """Settings plus the resources the lifespan opens: the Store and the one pooled HTTP client."""

    settings: Settings
    keyring: KeyRing
    store: Store | None = None
    http: httpx2.AsyncClient | None = None

    def get_store(self) -> Store:
        if self.store is None:
            raise RuntimeError("the app's lifespan has not started")
        return self.store

    def get_http(self) -> httpx2.AsyncClient:
        if self.http is None:
            raise RuntimeError("the app's lifespan has not started")
        return self.http
