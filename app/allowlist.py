"""Who may use this server and who may administer it, decided from what Google vouched for.

The same rules apply at sign-in (to the verified id_token) and on every later use (to what the
sign-in stored: the address and the Workspace domain, `hd`). Taking someone off the allow-list
and restarting therefore ends their access everywhere, without deleting anything of theirs.
"""

from __future__ import annotations

from typing import Any

from app.config import Settings

# Google owns these addresses: an account using one is the address's owner even without `hd`.
GOOGLE_CONSUMER_DOMAINS = ("gmail.com", "googlemail.com")


def _domain(email: str) -> str:
    return email.rpartition("@")[2]


def admitted_by_rule(settings: Settings, email: str, hosted_domain: str | None) -> bool:
    """Whether ALLOWED_EMAILS names this address, or ALLOWED_EMAIL_DOMAINS names its Workspace (`hd`).

    A domain rule needs `hd`: a consumer Google account registered with a company address has a
    verified email but no `hd`, and proves nothing about the company.
    """
    email = email.lower()
    hd = (hosted_domain or "").lower()
    return email in settings.allowed_emails or (bool(hd) and hd in settings.allowed_email_domains)


def refusal_reason(settings: Settings, claims: dict[str, Any]) -> str | None:
    """Why this identity may not use the server, or None when it may.

    `claims` are a verified id_token's, or the same names rebuilt from what a sign-in stored.
    """
    email = str(claims.get("email") or "").lower()
    if not email:
        return "Google did not share an email address for this account."
    if claims.get("email_verified") is not True:
        return f"Google has not verified the address {email}; verify it with Google, then try again."
    domains, emails = settings.allowed_email_domains, settings.allowed_emails
    if not domains and not emails:
        return None
    hd = str(claims.get("hd") or "") or None
    if admitted_by_rule(settings, email, hd):
        return None
    allowed = ", ".join(domains) if domains else "a list of named people"
    if _domain(email) in domains and not hd:
        return (
            f"{email} is a personal Google account, not your organisation's Google Workspace account, so it "
            f"may not use this Switchboard (it is for {allowed}). Sign in with your work account."
        )
    return f"{email} is not allowed to use this Switchboard (it is for {allowed}). Sign in with your work account."


def stored_refusal(settings: Settings, email: str, hosted_domain: str | None) -> str | None:
    """`refusal_reason` for a person who signed in earlier, under today's allow-list."""
    return refusal_reason(settings, {"email": email, "email_verified": True, "hd": hosted_domain})


def may_administer(settings: Settings, email: str, hosted_domain: str | None) -> bool:
    """ADMIN_EMAILS, but only for an account Google vouches owns that address.

    With an allow-list, the person's sign-in must have passed one of its rules. Without one, the
    account must be the Workspace account for the address (`hd` present) or a Google address.
    """
    email = email.lower()
    if email not in settings.admin_emails:
        return False
    if settings.allowed_email_domains or settings.allowed_emails:
        return admitted_by_rule(settings, email, hosted_domain)
    return bool(hosted_domain) or _domain(email) in GOOGLE_CONSUMER_DOMAINS
