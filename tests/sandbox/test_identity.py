"""The sandbox Google identity provider, driven over HTTP like Authlib and our clients drive Google."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from sandbox.identity.provider import EMAIL_SCOPE, PROFILE_SCOPE, create_identity_app
from sandbox.world import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, Person, World

ISSUER = "http://testserver/google"
REDIRECT = "http://localhost:8080/auth/callback"
GMAIL = "https://www.googleapis.com/auth/gmail.modify"
CALENDAR = "https://www.googleapis.com/auth/calendar"
SCOPE = f"openid email profile {GMAIL} {CALENDAR}"


def make_world() -> World:
    world = World(anchor=datetime(2026, 3, 2, 9, tzinfo=UTC), domain="example.com")
    for person in (
        Person("ada@example.com", "Ada Lovelace", "1001", "Europe/London", hd="example.com"),
        Person("bob@gmail.com", "Bob Builder", "1002", "America/New_York"),
    ):
        world.people[person.email] = person
    return world


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def client(world: World) -> TestClient:
    app = Starlette(routes=[Mount("/google", create_identity_app(world, ISSUER))])
    return TestClient(app)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(client: TestClient, **overrides: str) -> dict[str, str]:
    """Run the authorize step; return the query the browser would be redirected back with."""
    params = {
        "client_id": SANDBOX_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": SCOPE,
        "state": "st-123",
        "nonce": "n-456",
        "access_type": "offline",
        "prompt": "consent",
        "sandbox_login": "ada@example.com",
    }
    params.update(overrides)
    response = client.get("/google/o/oauth2/v2/auth", params=params, follow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def exchange(client: TestClient, code: str, verifier: str | None = None, **extra: str) -> Any:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    if verifier is not None:
        form["code_verifier"] = verifier
    return client.post("/google/token", data=form, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))


def sign_in(client: TestClient, **overrides: str) -> dict[str, Any]:
    verifier, challenge = pkce_pair()
    redirect = authorize(client, code_challenge=challenge, code_challenge_method="S256", **overrides)
    response = exchange(client, redirect["code"], verifier)
    assert response.status_code == 200, response.text
    return response.json()


def refresh(client: TestClient, refresh_token: str) -> Any:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return client.post("/google/token", data=form, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))


def test_discovery_document_points_at_the_sandbox_endpoints(client: TestClient) -> None:
    doc = client.get("/google/.well-known/openid-configuration").json()
    assert doc["issuer"] == ISSUER
    assert doc["authorization_endpoint"] == f"{ISSUER}/o/oauth2/v2/auth"
    assert doc["token_endpoint"] == f"{ISSUER}/token"
    assert doc["userinfo_endpoint"] == f"{ISSUER}/v1/userinfo"
    assert doc["revocation_endpoint"] == f"{ISSUER}/revoke"
    assert doc["jwks_uri"] == f"{ISSUER}/oauth2/v3/certs"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(doc["code_challenge_methods_supported"]) == {"plain", "S256"}
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"client_secret_post", "client_secret_basic"}


def test_id_token_verifies_with_the_published_jwks(client: TestClient) -> None:
    tokens = sign_in(client)
    keys = KeySet.import_key_set(client.get("/google/oauth2/v3/certs").json())
    token = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"])
    claims = token.claims
    assert token.header["alg"] == "RS256"
    assert claims["iss"] == ISSUER
    assert claims["aud"] == claims["azp"] == SANDBOX_CLIENT_ID
    assert claims["sub"] == "1001"
    assert claims["email"] == "ada@example.com"
    assert claims["email_verified"] is True
    assert claims["hd"] == "example.com"
    assert (claims["given_name"], claims["family_name"]) == ("Ada", "Lovelace")
    assert claims["nonce"] == "n-456"
    assert claims["exp"] - claims["iat"] == 3600
    half = hashlib.sha256(tokens["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(half).rstrip(b"=").decode()


def test_code_exchange_returns_google_shaped_tokens(client: TestClient) -> None:
    tokens = sign_in(client)
    assert tokens["token_type"] == "Bearer"
    assert 3590 <= tokens["expires_in"] <= 3600
    assert tokens["refresh_token"]
    assert tokens["scope"].split() == ["openid", EMAIL_SCOPE, PROFILE_SCOPE, GMAIL, CALENDAR]


def test_authorize_redirect_carries_state_scope_and_google_extras(client: TestClient) -> None:
    redirect = authorize(client)
    assert redirect["state"] == "st-123"
    assert redirect["code"].startswith("4/0")
    assert redirect["authuser"] == "0"
    assert redirect["hd"] == "example.com"
    assert redirect["prompt"] == "consent"
    assert GMAIL in redirect["scope"].split()


def test_code_exchange_accepts_client_secret_post(client: TestClient) -> None:
    verifier, challenge = pkce_pair()
    redirect = authorize(client, code_challenge=challenge, code_challenge_method="S256")
    form = {
        "grant_type": "authorization_code",
        "code": redirect["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
    }
    response = client.post("/google/token", data=form)
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_plain_pkce_is_accepted(client: TestClient) -> None:
    redirect = authorize(client, code_challenge="a" * 43, code_challenge_method="plain")
    assert exchange(client, redirect["code"], "a" * 43).status_code == 200


@pytest.mark.parametrize("verifier", [None, "wrong-" + "x" * 40])
def test_missing_or_wrong_code_verifier_is_invalid_grant(client: TestClient, verifier: str | None) -> None:
    _, challenge = pkce_pair()
    redirect = authorize(client, code_challenge=challenge, code_challenge_method="S256")
    response = exchange(client, redirect["code"], verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_can_be_used_only_once(client: TestClient) -> None:
    redirect = authorize(client)
    assert exchange(client, redirect["code"]).status_code == 200
    second = exchange(client, redirect["code"])
    assert second.status_code == 400
    assert second.json() == {"error": "invalid_grant", "error_description": "Bad Request"}


def test_expired_code_is_invalid_grant(client: TestClient, world: World) -> None:
    redirect = authorize(client)
    world.codes[redirect["code"]].expires_at = 0
    assert exchange(client, redirect["code"]).json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_the_authorize_request(client: TestClient) -> None:
    redirect = authorize(client)
    form = {"grant_type": "authorization_code", "code": redirect["code"], "redirect_uri": REDIRECT + "x"}
    response = client.post("/google/token", data=form, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
    assert response.status_code == 400
    assert response.json()["error"] == "redirect_uri_mismatch"


def test_bad_client_credentials_are_invalid_client(client: TestClient) -> None:
    redirect = authorize(client)
    form = {"grant_type": "authorization_code", "code": redirect["code"], "redirect_uri": REDIRECT}
    unknown = client.post("/google/token", data=form, auth=("nobody", "x"))
    assert unknown.status_code == 401
    assert unknown.json() == {
        "error": "invalid_client",
        "error_description": "The OAuth client was not found.",
    }
    wrong = client.post("/google/token", data=form, auth=(SANDBOX_CLIENT_ID, "not-the-secret"))
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"


def test_unsupported_grant_type_is_rejected(client: TestClient) -> None:
    form = {"grant_type": "password"}
    response = client.post("/google/token", data=form, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_missing_code_is_invalid_request(client: TestClient) -> None:
    form = {"grant_type": "authorization_code", "redirect_uri": REDIRECT}
    response = client.post("/google/token", data=form, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_refresh_returns_a_new_access_token_without_refresh_token(client: TestClient) -> None:
    tokens = sign_in(client)
    response = refresh(client, tokens["refresh_token"])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "scope", "token_type"}
    assert body["access_token"] != tokens["access_token"]
    assert body["scope"] == tokens["scope"]


def test_refresh_after_revocation_is_invalid_grant(client: TestClient, world: World) -> None:
    tokens = sign_in(client)
    world.revoke_grants_of("ada@example.com")
    response = refresh(client, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }


def test_unknown_refresh_token_is_invalid_grant(client: TestClient) -> None:
    assert refresh(client, "1//not-a-token").json()["error"] == "invalid_grant"


def test_online_access_gets_no_refresh_token(client: TestClient) -> None:
    tokens = sign_in(client, access_type="online")
    assert "refresh_token" not in tokens


def test_repeat_consent_without_prompt_consent_gets_no_refresh_token(client: TestClient) -> None:
    assert "refresh_token" in sign_in(client)
    again = sign_in(client, prompt="")
    assert "refresh_token" not in again
    assert "refresh_token" in sign_in(client, prompt="consent")


def test_unticked_scopes_are_not_granted(client: TestClient) -> None:
    redirect = authorize(client, sandbox_scopes=f"openid {GMAIL}")
    assert redirect["scope"].split() == ["openid", EMAIL_SCOPE, PROFILE_SCOPE, GMAIL]
    tokens = exchange(client, redirect["code"]).json()
    assert CALENDAR not in tokens["scope"].split()


def test_userinfo_returns_the_signed_in_profile(client: TestClient) -> None:
    tokens = sign_in(client)
    response = client.get("/google/v1/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200
    assert response.json() == {
        "sub": "1001",
        "email": "ada@example.com",
        "email_verified": True,
        "hd": "example.com",
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "picture": f"{ISSUER}/avatar/1001",
    }


def test_personal_accounts_have_no_hd(client: TestClient) -> None:
    tokens = sign_in(client, sandbox_login="bob@gmail.com")
    response = client.get("/google/v1/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert "hd" not in response.json()


def test_expired_access_tokens_are_refused(client: TestClient, world: World) -> None:
    tokens = sign_in(client)
    world.expire_all_access_tokens()
    response = client.get("/google/v1/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_expires_in_follows_the_world_access_token_ttl(client: TestClient, world: World) -> None:
    world.access_token_ttl = 120
    assert 110 <= sign_in(client)["expires_in"] <= 120


def test_revoking_the_refresh_token_kills_the_grant_and_its_access_tokens(client: TestClient) -> None:
    tokens = sign_in(client)
    assert client.post("/google/revoke", data={"token": tokens["refresh_token"]}).json() == {}
    assert refresh(client, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    userinfo = client.get("/google/v1/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 401


def test_revoking_the_access_token_revokes_the_grant(client: TestClient) -> None:
    tokens = sign_in(client)
    assert client.post("/google/revoke", data={"token": tokens["access_token"]}).status_code == 200
    assert refresh(client, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_revoking_an_unknown_token_is_invalid_token(client: TestClient) -> None:
    response = client.post("/google/revoke", data={"token": "nope"})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_token", "error_description": "Token expired or revoked"}


def test_auto_approve_signs_the_configured_person_in_at_once(client: TestClient, world: World) -> None:
    world.auto_approve_email = "bob@gmail.com"
    redirect = authorize(client, sandbox_login="")
    tokens = exchange(client, redirect["code"]).json()
    keys = KeySet.import_key_set(client.get("/google/oauth2/v3/certs").json())
    assert jwt.decode(tokens["id_token"], keys).claims["email"] == "bob@gmail.com"


def test_chooser_lists_accounts_and_optional_scopes(client: TestClient) -> None:
    params = {
        "client_id": SANDBOX_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": SCOPE,
    }
    response = client.get("/google/o/oauth2/v2/auth", params=params)
    assert response.status_code == 200
    page = response.text
    assert 'action="/google/o/oauth2/v2/auth"' in page
    assert 'name="sandbox_login" value="ada@example.com"' in page
    assert 'name="sandbox_login" value="bob@gmail.com"' in page
    assert f'name="sandbox_scopes" value="{GMAIL}" checked' in page
    assert f'value="{EMAIL_SCOPE}" checked' not in page


def test_cancelling_the_chooser_redirects_with_access_denied(client: TestClient) -> None:
    redirect = authorize(client, sandbox_login="", sandbox_deny="1")
    assert redirect == {"state": "st-123", "error": "access_denied"}


def test_unknown_client_gets_an_error_page(client: TestClient) -> None:
    params = {"client_id": "nobody", "redirect_uri": REDIRECT, "response_type": "code", "scope": "openid"}
    response = client.get("/google/o/oauth2/v2/auth", params=params, follow_redirects=False)
    assert response.status_code == 401
    assert "invalid_client" in response.text


def test_missing_redirect_uri_gets_an_error_page(client: TestClient) -> None:
    params = {"client_id": SANDBOX_CLIENT_ID, "response_type": "code", "scope": "openid"}
    response = client.get("/google/o/oauth2/v2/auth", params=params, follow_redirects=False)
    assert response.status_code == 400
    assert "Error 400: invalid_request" in response.text


def test_scope_without_openid_redirects_with_invalid_scope(client: TestClient) -> None:
    assert authorize(client, scope=GMAIL)["error"] == "invalid_scope"


def test_unknown_sandbox_login_is_rejected(client: TestClient) -> None:
    params = {
        "client_id": SANDBOX_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid",
        "sandbox_login": "mallory@example.com",
    }
    response = client.get("/google/o/oauth2/v2/auth", params=params, follow_redirects=False)
    assert response.status_code == 400
