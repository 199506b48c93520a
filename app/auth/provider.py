"""The MCP OAuth authorization server, backed by the Store (works across replicas).

The browser leg of `/authorize` carries its parameters in a signed, short-lived `request` value
rather than server memory, so sign-in and consent may land on any replica.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    IdentityAssertionParams,
    RefreshToken,
    RegistrationError,
    TokenError,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl

from app.allowlist import stored_refusal
from app.auth.clients import (
    ClientMetadataError,
    client_from_metadata,
    fetch_client_metadata,
    is_metadata_document_id,
    redirect_uri_allowed,
)
from app.auth.revocations import Revocations
from app.auth.verifier import SwitchboardTokenVerifier
from app.services import Services
from app.storage.clock import utcnow
from app.storage.oauth import IssuedTokens

logger = logging.getLogger(__name__)

ACCESS_TTL = timedelta(hours=1)
CODE_TTL = timedelta(minutes=5)
PENDING_MAX_AGE = 15 * 60  # seconds a person has to sign in and consent
CIMD_FRESH = timedelta(hours=1)
NAME_MAX = 80  # characters of an app's self-chosen name shown on pages


def same_resource(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


class SwitchboardAuthProvider:
    """`OAuthAuthorizationServerProvider` for MCP clients (Claude, mcp-remote, any client)."""

    def __init__(self, services: Services, verifier: SwitchboardTokenVerifier, revocations: Revocations) -> None:
        self.services = services
        self.revocations = revocations
        self.settings = services.settings
        self.verifier = verifier
        self.pending = URLSafeTimedSerializer(self.settings.session_secret, salt="switchboard-authorize")

    # -- clients ------------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        store = self.services.get_store()
        record = await store.get_client(client_id)
        if is_metadata_document_id(client_id):
            if record is not None and record.fetched_at and utcnow() - record.fetched_at < CIMD_FRESH:
                return client_from_metadata(record.metadata)
            try:
                document = await fetch_client_metadata(
                    self.services.get_http(),
                    client_id,
                    allow_insecure_loopback=self.settings.unsafe_allow_loopback_client_metadata,
                )
                client = client_from_metadata(document)
            except ClientMetadataError as exc:
                logger.warning("client metadata document %s refused: %s", client_id, exc)
                return None
            await store.save_client(client_id, document, None, "cimd")
            return client
        if record is None:
            return None
        return client_from_metadata(record.metadata, record.secret)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        for uri in client_info.redirect_uris or []:
            if not redirect_uri_allowed(str(uri)):
                raise RegistrationError(
                    "invalid_redirect_uri",
                    f"{uri} is not allowed: use https, http only to a loopback address, or a private-use scheme "
                    "like com.example.app:/callback; no fragment",
                )
        metadata = client_info.model_dump(mode="json", exclude={"client_secret"}, exclude_none=True)
        await self.services.get_store().save_client(client_info.client_id, metadata, client_info.client_secret, "dcr")

    # -- authorization ------------------------------------------------------------------------

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        resource = params.resource or self.settings.mcp_url
        if not same_resource(resource, self.settings.mcp_url):
            raise AuthorizeError("invalid_target", f"this server only issues tokens for {self.settings.mcp_url}")
        pending = self.pending.dumps(
            {
                "client_id": client.client_id,
                "redirect_uri": str(params.redirect_uri),
                "explicit": params.redirect_uri_provided_explicitly,
                "state": params.state,
                "challenge": params.code_challenge,
                "scopes": params.scopes or [],
                "resource": self.settings.mcp_url,
            }
        )
        return f"{self.settings.public_url}/oauth/consent?request={pending}"

    def read_pending(self, value: str) -> dict[str, Any] | None:
        """The authorization request behind a consent page, if its signature and age are good."""
        try:
            data = self.pending.loads(value, max_age=PENDING_MAX_AGE)
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None

    async def issue_code(self, pending: dict[str, Any], user_id: str) -> str:
        return await self.services.get_store().create_authorization_code(
            client_id=pending["client_id"],
            user_id=user_id,
            redirect_uri=pending["redirect_uri"],
            redirect_uri_provided_explicitly=bool(pending["explicit"]),
            code_challenge=pending["challenge"],
            scopes=list(pending["scopes"]),
            resource=pending["resource"],
            ttl=CODE_TTL,
        )

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        store = self.services.get_store()
        record = await store.find_authorization_code(authorization_code)
        if record is None:
            return None
        if record.used_at is not None:
            revoked = await self.revocations.revoke_tokens_from_code(record.code_hash)
            logger.warning("authorization code replayed by client %s; %d tokens revoked", client.client_id, revoked)
            return None
        return AuthorizationCode(
            code=authorization_code,
            scopes=record.scopes,
            expires_at=record.expires_at.timestamp(),
            client_id=record.client_id,
            code_challenge=record.code_challenge,
            redirect_uri=AnyUrl(record.redirect_uri),
            redirect_uri_provided_explicitly=record.redirect_uri_provided_explicitly,
            resource=record.resource,
            subject=record.user_id,
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        await self._check_allowed(authorization_code.subject)
        store = self.services.get_store()
        record = await store.find_authorization_code(authorization_code.code)
        issued = None
        if record is not None:
            issued = await store.exchange_code(record, ACCESS_TTL, self._refresh_ttl())
        if issued is None:
            if record is not None:  # lost a race with another exchange of the same code: a replay
                await self.revocations.revoke_tokens_from_code(record.code_hash)
            raise TokenError("invalid_grant", "authorization code already used")
        return self._token_response(issued, authorization_code.scopes)

    # -- refresh and revocation ---------------------------------------------------------------

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        store = self.services.get_store()
        record = await store.find_token(refresh_token)
        if record is None or record.kind != "refresh" or record.revoked_at is not None:
            return None
        if record.rotated_at is not None:
            revoked = await self.revocations.revoke_family(record.family_id)
            logger.warning("rotated refresh token reused by client %s; family of %d revoked", client.client_id, revoked)
            return None
        return RefreshToken(
            token=refresh_token,
            client_id=record.client_id,
            scopes=record.scopes,
            expires_at=int(record.expires_at.timestamp()),
            resource=record.resource,
            subject=record.user_id,
        )

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        await self._check_allowed(refresh_token.subject)
        store = self.services.get_store()
        record = await store.find_token(refresh_token.token)
        issued = await store.rotate_refresh_token(record, scopes, ACCESS_TTL) if record else None
        if issued is None:
            if record is not None:  # already rotated or revoked: a replay, so the whole family dies
                await self.revocations.revoke_family(record.family_id)
            raise TokenError("invalid_grant", "refresh token already used")
        return self._token_response(issued, scopes)

    async def exchange_identity_assertion(
        self, client: OAuthClientInformationFull, params: IdentityAssertionParams
    ) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "identity assertions are not accepted")

    async def load_access_token(self, token: str) -> AccessToken | None:
        return await self.verifier.verify_token(token)

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        await self.revoke_issued_to(token.client_id, token.token)

    async def revoke_issued_to(self, client_id: str, token: str) -> None:
        """RFC 7009: an access or refresh token and its whole grant, if it was issued to `client_id`."""
        record = await self.services.get_store().find_token(token)
        if record is not None and record.client_id == client_id:
            await self.revocations.revoke_family(record.family_id)

    # -- helpers ------------------------------------------------------------------------------

    async def _check_allowed(self, user_id: str | None) -> None:
        """Refuse (without revoking anything) a grant whose person is outside today's allow-list."""
        user = await self.services.get_store().get_user(user_id) if user_id else None
        if user is None or user.status != "active":
            raise TokenError("invalid_grant", "this grant's person no longer has access; sign in again")
        reason = stored_refusal(self.settings, user.email, user.hosted_domain)
        if reason:
            raise TokenError("invalid_grant", reason)

    def _refresh_ttl(self) -> timedelta:
        return timedelta(days=self.settings.session_ttl_days)

    @staticmethod
    def _token_response(issued: IssuedTokens, scopes: list[str]) -> OAuthToken:
        return OAuthToken(
            access_token=issued.access_token,
            token_type="Bearer",  # noqa: S106 - the token type, not a secret
            expires_in=int(ACCESS_TTL.total_seconds()),
            refresh_token=issued.refresh_token,
            scope=" ".join(scopes) or None,
        )


def client_display_name(client: OAuthClientInformationFull) -> str:
    """What the app calls itself (its own claim: DCR clients choose any name), shortened for pages."""
    name = " ".join((client.client_name or "").split()) or "An unnamed app"
    return name if len(name) <= NAME_MAX else name[: NAME_MAX - 1] + "…"
