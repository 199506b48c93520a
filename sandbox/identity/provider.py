"""The sandbox's Google identity provider: OpenID discovery, sign-in, token, userinfo and revocation.

It follows accounts.google.com's wire behaviour closely enough for Authlib and our own clients:
RS256 id_tokens verifiable with the JWKS, single-use codes with PKCE, refresh tokens only for
`access_type=offline` (and, as with Google, only when consent was shown), Google's error bodies.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_plus, urlencode, urlsplit, urlunsplit

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.identity.pages import avatar, chooser_page, error_page
from sandbox.world import AuthCode, GoogleGrant, Person, World

EMAIL_SCOPE = "https://www.googleapis.com/auth/userinfo.email"
PROFILE_SCOPE = "https://www.googleapis.com/auth/userinfo.profile"
# Google reports the short identity scopes under their long names in `scope`.
_ALIASES = {"email": EMAIL_SCOPE, "profile": PROFILE_SCOPE}
_IDENTITY_SCOPES = {"openid", EMAIL_SCOPE, PROFILE_SCOPE}
_CODE_TTL = 600
# `sandbox_id_token=<fault>` at sign-in bends the id_token the code yields: an account sharing the
# address with no Workspace (`consumer`: another sub, no hd), or one a relying party must refuse.
ID_TOKEN_FAULTS = ("consumer", "future", "expired", "bad_signature", "wrong_audience")
_NO_STORE = {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate", "Pragma": "no-cache"}


@dataclass
class _Consent:
    """What an authorization code carries beyond `AuthCode`: whether it may yield a refresh token."""

    offline: bool
    consent_shown: bool
    id_token_fault: str | None = None  # see ID_TOKEN_FAULTS


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status, headers=_NO_STORE)


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) and value else None


def _normalize(scopes: list[str]) -> list[str]:
    return list(dict.fromkeys(_ALIASES.get(scope, scope) for scope in scopes))


def _with_query(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    # Google leaves "/" and ":" unescaped (code=4/0A..., scope=https://...) and writes spaces as %20.
    pairs = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    query = urlencode(pairs, safe="/:", quote_via=quote)
    return urlunsplit(parts._replace(query=query))


def _pkce_matches(challenge: str, method: str | None, verifier: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        verifier = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return secrets.compare_digest(challenge.encode(), verifier.encode())


def _profile_claims(person: Person, scopes: list[str], issuer: str) -> dict[str, Any]:
    """The identity claims Google releases for these scopes (id_token and userinfo alike)."""
    claims: dict[str, Any] = {"sub": person.sub}
    if EMAIL_SCOPE in scopes:
        claims.update(email=person.email, email_verified=person.email_verified)
    if person.hd:
        claims["hd"] = person.hd
    if PROFILE_SCOPE in scopes:
        given, _, family = person.name.partition(" ")
        claims.update(name=person.name, given_name=given, family_name=family)
        claims["picture"] = f"{issuer}/avatar/{person.sub}"
    return claims


def create_identity_app(world: World, issuer: str) -> Starlette:
    """The Google identity sub-app; `issuer` is its external base URL, e.g. `http://host:port/google`."""
    if world.signing_key is None:  # a world restored from a saved state keeps the key its tokens carry
        generated = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)
        world.signing_key = generated.as_dict(private=True)
    key = RSAKey.import_key(world.signing_key)
    consents: dict[str, _Consent] = {}  # by authorization code

    def has_consented(email: str, client_id: str, scopes: list[str]) -> bool:
        granted = [g for g in world.grants.values() if g.email == email and g.client_id == client_id]
        return any(not g.revoked and set(scopes) <= set(g.scopes) for g in granted)

    def id_token(
        person: Person, client_id: str, scopes: list[str], nonce: str | None, access: str, fault: str | None = None
    ) -> str:
        now = int(time.time())
        half = hashlib.sha256(access.encode()).digest()[:16]
        claims = {
            "iss": issuer,
            "azp": client_id,
            "aud": client_id,
            **_profile_claims(person, scopes, issuer),
        }
        claims.update(at_hash=base64.urlsafe_b64encode(half).rstrip(b"=").decode(), iat=now, exp=now + 3600)
        if nonce is not None:
            claims["nonce"] = nonce
        if fault == "consumer":
            claims.pop("hd", None)
            claims["sub"] = "2" + person.sub[1:]
        elif fault == "future":  # the issuer's clock an hour ahead
            claims.update(iat=now + 3600, exp=now + 7200)
        elif fault == "expired":
            claims.update(iat=now - 7200, exp=now - 3600)
        elif fault == "wrong_audience":
            claims.update(aud="someone-else.apps.googleusercontent.example", azp="someone-else")
        token = jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)
        if fault == "bad_signature":
            head, body, signature = token.split(".")
            flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
            token = f"{head}.{body}.{flipped}"
        return token

    async def discovery(request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/o/oauth2/v2/auth",
                "token_endpoint": f"{issuer}/token",
                "userinfo_endpoint": f"{issuer}/v1/userinfo",
                "revocation_endpoint": f"{issuer}/revoke",
                "jwks_uri": f"{issuer}/oauth2/v3/certs",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "claims_supported": [
                    *("aud", "email", "email_verified", "exp", "family_name", "given_name"),
                    *("iat", "iss", "name", "picture", "sub"),
                ],
                "code_challenge_methods_supported": ["plain", "S256"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
            }
        )

    async def certs(request: Request) -> Response:
        return JSONResponse({"keys": [key.as_dict(private=False)]})

    async def authorize(request: Request) -> Response:
        query = request.query_params
        client_id, redirect_uri = query.get("client_id"), query.get("redirect_uri")
        if not client_id:
            return error_page(400, "invalid_request", "Missing required parameter: client_id")
        if client_id not in world.clients:
            return error_page(401, "invalid_client", "The OAuth client was not found.")
        if not redirect_uri:
            return error_page(400, "invalid_request", "Missing required parameter: redirect_uri")
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            return error_page(400, "invalid_request", f"Invalid parameter value for redirect_uri: {redirect_uri}")

        def back(params: dict[str, str]) -> Response:
            state = query.get("state")
            location = _with_query(redirect_uri, {**({"state": state} if state else {}), **params})
            return RedirectResponse(location, status_code=302)

        requested = _normalize(query.get("scope", "").split())
        challenge, method = query.get("code_challenge"), query.get("code_challenge_method")
        prompts = query.get("prompt", "").split()
        if query.get("response_type") != "code":
            return back({"error": "unsupported_response_type"})
        if "openid" not in requested:
            return back({"error": "invalid_scope"})
        if challenge is not None and (method or "plain") not in ("S256", "plain"):
            return back({"error": "invalid_request", "error_description": "Invalid code_challenge_method"})
        if query.get("sandbox_deny"):
            return back({"error": "access_denied"})
        email = query.get("sandbox_login") or world.auto_approve_email
        if email is None:
            if "none" in prompts:
                return back({"error": "login_required"})
            hd = query.get("hd")
            people = [p for p in world.people.values() if hd in (None, "*") or p.hd == hd]
            carried = [(k, v) for k, v in query.multi_items() if not k.startswith("sandbox_")]
            optional = [scope for scope in requested if scope not in _IDENTITY_SCOPES]
            return chooser_page(request.url.path, carried, people, optional, query.get("login_hint"))
        person = world.people.get(email)
        if person is None:
            return error_page(400, "invalid_request", f"No sandbox account {email}")

        ticked = [scope for value in query.getlist("sandbox_scopes") for scope in value.split()]
        chosen = set(_normalize(ticked)) | _IDENTITY_SCOPES if ticked else None
        granted = [scope for scope in requested if chosen is None or scope in chosen]
        if query.get("include_granted_scopes") == "true":
            live = (g for g in world.grants.values() if g.email == email and g.client_id == client_id)
            granted = list(dict.fromkeys([*granted, *(s for g in live if not g.revoked for s in g.scopes)]))
        consent_shown = "consent" in prompts or not has_consented(email, client_id, granted)
        if consent_shown and "none" in prompts:
            return back({"error": "consent_required"})

        code = "4/0" + secrets.token_urlsafe(48)
        world.codes[code] = AuthCode(
            code, client_id, redirect_uri, email, granted, query.get("nonce"), challenge,
            (method or "plain") if challenge else None, time.time() + _CODE_TTL,
        )  # fmt: skip
        fault = query.get("sandbox_id_token")
        if fault is not None and fault not in ID_TOKEN_FAULTS:
            return error_page(400, "invalid_request", f"sandbox_id_token must be one of {', '.join(ID_TOKEN_FAULTS)}")
        consents[code] = _Consent(query.get("access_type") == "offline", consent_shown, fault)
        params = {"code": code, "scope": " ".join(granted), "authuser": "0"}
        if person.hd:
            params["hd"] = person.hd
        params["prompt"] = "consent" if consent_shown else "none"
        return back(params)

    def authenticate_client(request: Request, form: FormData) -> str | JSONResponse:
        kind, _, credentials = request.headers.get("authorization", "").partition(" ")
        if kind.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode()
            except ValueError:  # binascii.Error and UnicodeDecodeError are both ValueErrors
                return _oauth_error(401, "invalid_client", "Unauthorized")
            raw_id, _, raw_secret = decoded.partition(":")
            client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        else:
            client_id, secret = _field(form, "client_id") or "", _field(form, "client_secret") or ""
        if not client_id:
            return _oauth_error(400, "invalid_request", "Could not determine client ID from request.")
        expected = world.clients.get(client_id)
        if expected is None:
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if not secret:
            return _oauth_error(400, "invalid_request", "client_secret is missing.")
        if not secrets.compare_digest(secret.encode(), expected.encode()):
            return _oauth_error(401, "invalid_client", "Unauthorized")
        return client_id

    def exchange_code(form: FormData, client_id: str) -> Response:
        value, redirect_uri = _field(form, "code"), _field(form, "redirect_uri")
        if value is None:
            return _oauth_error(400, "invalid_request", "Missing required parameter: code")
        if redirect_uri is None:
            return _oauth_error(400, "invalid_request", "Missing parameter: redirect_uri")
        # Popped first: a code is spent by any attempt to use it, failed or not.
        code, consent = world.codes.pop(value, None), consents.pop(value, None)
        if code is None or consent is None or code.expires_at <= time.time() or code.client_id != client_id:
            return _oauth_error(400, "invalid_grant", "Bad Request")
        if code.redirect_uri != redirect_uri:
            return _oauth_error(400, "redirect_uri_mismatch", "Bad Request")
        if code.code_challenge is not None:
            verifier = _field(form, "code_verifier")
            if verifier is None:
                return _oauth_error(400, "invalid_grant", "Missing code verifier.")
            if not _pkce_matches(code.code_challenge, code.code_challenge_method, verifier):
                return _oauth_error(400, "invalid_grant", "Invalid code verifier.")
        # Like Google, a refresh token comes only with offline access and a consent screen.
        refresh = "1//" + secrets.token_urlsafe(48) if consent.offline and consent.consent_shown else ""
        grant = GoogleGrant(world.next_id("grant-"), code.email, client_id, code.scopes, refresh)
        world.grants[grant.id] = grant
        access = world.issue_access_token(code.email, code.scopes, grant.id)
        body: dict[str, Any] = {"access_token": access.token, "expires_in": _expires_in(access.expires_at)}
        if refresh:
            body["refresh_token"] = refresh
        body.update(scope=" ".join(code.scopes), token_type="Bearer")  # noqa: S106 - not a secret
        person = world.people[code.email]
        body["id_token"] = id_token(person, client_id, code.scopes, code.nonce, access.token, consent.id_token_fault)
        return JSONResponse(body, headers=_NO_STORE)

    def refresh_access(form: FormData, client_id: str) -> Response:
        value = _field(form, "refresh_token")
        if value is None:
            return _oauth_error(400, "invalid_request", "Missing required parameter: refresh_token")
        grant = next((g for g in world.grants.values() if g.refresh_token and g.refresh_token == value), None)
        if grant is None or grant.revoked:
            return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        if grant.client_id != client_id:
            return _oauth_error(400, "unauthorized_client", "Unauthorized")
        access = world.issue_access_token(grant.email, grant.scopes, grant.id)
        body = {
            "access_token": access.token,
            "expires_in": _expires_in(access.expires_at),
            "scope": " ".join(grant.scopes),
            "token_type": "Bearer",
        }
        return JSONResponse(body, headers=_NO_STORE)

    async def token(request: Request) -> Response:
        form = await request.form()
        client_id = authenticate_client(request, form)
        if isinstance(client_id, JSONResponse):
            return client_id
        grant_type = _field(form, "grant_type")
        if grant_type == "authorization_code":
            return exchange_code(form, client_id)
        if grant_type == "refresh_token":
            return refresh_access(form, client_id)
        return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}")

    async def userinfo(request: Request) -> Response:
        kind, _, access = request.headers.get("authorization", "").partition(" ")
        found = world.person_for_access_token(access.strip()) if kind.lower() == "bearer" else None
        if found is None:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "Invalid Credentials"},
                401,
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
            )
        person, live = found
        return JSONResponse(_profile_claims(person, live.scopes, issuer))

    async def revoke(request: Request) -> Response:
        form = await request.form()
        value = _field(form, "token") or request.query_params.get("token")
        if not value:
            return _oauth_error(400, "invalid_request", "Bad Request")
        live = world.person_for_access_token(value)
        grant_id = live[1].grant_id if live is not None else None
        if live is not None and grant_id is None:
            del world.access_tokens[value]
            return JSONResponse({})
        grant = world.grants.get(grant_id) if grant_id is not None else None
        grant = grant or next((g for g in world.grants.values() if g.refresh_token == value), None)
        if grant is None or grant.revoked:
            return _oauth_error(400, "invalid_token", "Token expired or revoked")
        grant.revoked = True
        return JSONResponse({})

    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/oauth2/v3/certs", certs),
            Route("/o/oauth2/v2/auth", authorize),
            Route("/token", token, methods=["POST"]),
            Route("/v1/userinfo", userinfo, methods=["GET", "POST"]),
            Route("/revoke", revoke, methods=["POST"]),
            Route("/avatar/{sub}", avatar),
        ]
    )


def _expires_in(expires_at: float) -> int:
    return max(int(expires_at - time.time()), 0)
