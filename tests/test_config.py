"""Settings: defaults, URL fallbacks, database URL rewriting, and production refusals."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import Settings
from app.crypto import KeyRing, generate_key


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_public_url_falls_back_to_the_railway_domain_then_localhost() -> None:
    assert settings(railway_public_domain="team.up.railway.app").public_url == "https://team.up.railway.app"
    assert settings(port=9000).public_url == "http://localhost:9000"
    explicit = settings(public_url="https://mcp.acme.example/", railway_public_domain="x.up.railway.app")
    assert explicit.public_url == "https://mcp.acme.example"
    assert explicit.google_redirect_uri == "https://mcp.acme.example/auth/callback"
    assert explicit.mcp_url == "https://mcp.acme.example/mcp"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres_urls_are_rewritten_for_asyncpg(scheme: str) -> None:
    url = settings(database_url=f"{scheme}://u:p@db.internal:5432/railway").database_url
    assert url == "postgresql+asyncpg://u:p@db.internal:5432/railway"


def test_an_unknown_database_scheme_is_refused_with_the_accepted_ones() -> None:
    with pytest.raises(ValidationError, match="unsupported database scheme 'mysql'"):
        settings(database_url="mysql://root@localhost/db")


def test_a_malformed_fernet_key_is_refused_with_the_fix() -> None:
    with pytest.raises(ValidationError, match="switchboard gen-key"):
        settings(token_encryption_key="not-a-key")


def test_several_keys_make_a_ring_where_the_first_encrypts_and_all_decrypt() -> None:
    old, new = generate_key(), generate_key()
    secret = KeyRing([old]).encrypt("refresh-token")
    ring = KeyRing(settings(token_encryption_key=f" {new} , {old} ").encryption_keys)
    assert ring.decrypt(secret) == "refresh-token"
    assert not ring.is_current(secret)
    assert ring.is_current(ring.encrypt("x"))


def test_lists_accept_commas_and_are_lower_cased() -> None:
    s = settings(allowed_email_domains="Acme.example, globex.example", admin_emails="Boss@Acme.example")
    assert s.allowed_email_domains == ["acme.example", "globex.example"]
    assert s.admin_emails == ["boss@acme.example"]


def test_production_problems_name_each_missing_secret_and_the_fix() -> None:
    problems = settings(session_secret="changeme").problems()
    assert len(problems) == 4
    joined = "\n".join(problems)
    for name in ("TOKEN_ENCRYPTION_KEY", "SESSION_SECRET", "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"):
        assert name in joined
    assert "switchboard gen-key" in joined


def test_a_complete_configuration_has_no_problems() -> None:
    complete = settings(
        token_encryption_key=generate_key(),
        session_secret=generate_key(),
        google_client_id="123.apps.googleusercontent.com",
        google_client_secret="a-real-looking-secret",
    )
    assert complete.problems() == []


def test_a_public_http_url_is_refused_outside_localhost() -> None:
    complete = {
        "token_encryption_key": generate_key(),
        "session_secret": generate_key(),
        "google_client_id": "123.apps.googleusercontent.com",
        "google_client_secret": "a-real-looking-secret",
    }
    assert settings(public_url="http://mcp.acme.example", **complete).problems() == [
        "PUBLIC_URL is http://mcp.acme.example: it must be https:// (OAuth requires it; Railway's domain is https)."
    ]
    assert settings(public_url="http://localhost:9000", **complete).problems() == []


def test_fathom_oauth_is_offered_only_with_both_halves_of_the_fathom_app_and_half_is_a_problem() -> None:
    complete = {
        "token_encryption_key": generate_key(),
        "session_secret": generate_key(),
        "google_client_id": "123.apps.googleusercontent.com",
        "google_client_secret": "a-real-looking-secret",
    }
    keys_only = settings(**complete)
    assert not keys_only.fathom_oauth and keys_only.fathom_revoke_url == ""
    assert keys_only.fathom_token_url == "https://fathom.video/external/v1/oauth2/token"
    both = settings(public_url="https://mcp.acme.example", fathom_client_id="id", fathom_client_secret="s", **complete)
    assert both.fathom_oauth and both.problems() == []
    assert both.fathom_redirect_uri == "https://mcp.acme.example/account/fathom/callback"
    half = settings(fathom_client_id="id", **complete)
    assert not half.fathom_oauth
    assert half.problems() == [
        "FATHOM_CLIENT_ID and FATHOM_CLIENT_SECRET go together: set both (Fathom OAuth) or neither (API keys only)."
    ]


def test_a_persons_daily_google_share_comes_from_the_team_size_unless_set_and_zero_turns_it_off() -> None:
    assert settings().person_daily_share is None
    assert settings(team_size=50).person_daily_share == 100
    assert settings(team_size=50, google_requests_per_person_per_day="").person_daily_share == 100
    assert settings(team_size=50, google_requests_per_person_per_day=250).person_daily_share == 250
    assert settings(team_size=50, google_requests_per_person_per_day=0).person_daily_share is None
    assert settings(team_size=9000).person_daily_share == 1
