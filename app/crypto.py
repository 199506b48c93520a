"""The key ring for secrets at rest, plus hashing and generation of the tokens we issue."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class KeyRingError(Exception):
    """A stored secret could not be decrypted with any configured key."""


class KeyRing:
    """Fernet keys from `TOKEN_ENCRYPTION_KEY`: the first encrypts, every one decrypts."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._primary = Fernet(keys[0])
        self._all = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_setting(cls, value: str) -> KeyRing:
        return cls([key.strip() for key in value.split(",") if key.strip()])

    def encrypt(self, plaintext: str) -> str:
        return self._all.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._all.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise KeyRingError(
                "a stored secret cannot be decrypted with TOKEN_ENCRYPTION_KEY; "
                "was a key removed before `switchboard rotate-keys` ran?"
            ) from None

    def is_current(self, ciphertext: str) -> bool:
        """True when the first (encrypting) key already decrypts this ciphertext."""
        try:
            self._primary.decrypt(ciphertext.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the first key."""
        try:
            return self._all.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise KeyRingError("a stored secret cannot be decrypted with any configured key") from None


def generate_key() -> str:
    """A new Fernet key (also fine as a session secret)."""
    return Fernet.generate_key().decode()


def new_token(prefix: str = "") -> str:
    """A random bearer credential: 256 bits, URL-safe, with an optional recognisable prefix."""
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which an issued token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
