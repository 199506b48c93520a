# ruff: noqa: E501 - message texts read better unwrapped
"""The machine senders of seeded mail: what each one writes, to whom, how often and how it is filed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.seed.common import hex_token
from sandbox.seed.people import ALICE, BEN, CARMEN, DIETER, EMI, FRANK, SAM, WORKSPACE_EMAILS

Made = tuple[str, str, str | None]  # subject, text, actor (a person's name shown as the sender) or None

_PRS = (
    "Fix token refresh race in SSO callback",
    "Add audit log export background job",
    "Bump cryptography to 44.0.1",
    "Paginate SCIM /Users responses",
    "Allow 3 minutes of SAML clock skew",
    "Onboarding flow B behind a feature flag",
    "Speed up CSV export for large tenants",
    "Retry webhook deliveries with backoff",
)
_ISSUES = (
    "Audit log export: large tenants time out",
    "SCIM group push",
    "Empty states for dashboard",
    "CSV export truncates long fields",
    "SSO enforcement toggle in admin",
    "Onboarding: sample data report",
)
_PEOPLE = ("Carmen Ruiz", "Alice Nguyen", "Emi Tanaka", "Marco Silva", "Priya Raman", "Jonas Weber", "Aiko Sato")


def _github(rng: random.Random, first: str) -> Made:
    n = rng.randrange(len(_PRS))
    actor = rng.choice(("Carmen Ruiz", "Jonas Weber", "dependabot[bot]", "Aiko Sato"))
    verb = rng.choice(
        (
            "approved this pull request.",
            "left a comment:\n\n> Looks good, one nit on the error message.",
            "pushed 2 commits.",
            "requested your review on this pull request.",
        )
    )
    subject = f"[acme/platform] {_PRS[n]} (PR #{480 + n})"
    return (
        subject,
        f"@{actor.split()[0].lower()} {verb}\n\n--\nReply to this email directly, view it on GitHub:\nhttps://github.com/acme/platform/pull/{480 + n}\nYou are receiving this because you were mentioned.",
        actor,
    )


def _linear(rng: random.Random, first: str) -> Made:
    n = rng.randrange(len(_ISSUES))
    actor = rng.choice(_PEOPLE[:3])
    change = rng.choice(
        (
            "changed the status to In Progress",
            "changed the status to In Review",
            "commented",
            "assigned the issue to you",
            "raised the priority to High",
        )
    )
    return (
        f"[ACM-{231 + n}] {_ISSUES[n]}",
        f"{actor} {change}\n\nACM-{231 + n} {_ISSUES[n]}\nhttps://linear.app/acme/issue/ACM-{231 + n}",
        None,
    )


def _docs(rng: random.Random, first: str) -> Made:
    doc = rng.choice(
        (
            "Q3 Roadmap (draft)",
            "Audit log export: PRD",
            "Onboarding v3: research plan",
            "Board deck: product section",
            "Globex renewal proposal",
        )
    )
    actor = rng.choice(_PEOPLE[:3])
    return (
        f"{doc} - {rng.randint(1, 5)} new comments",
        f'{actor} commented on {doc}\n\n"Can we make this more concrete? A date would help here."\n\nReply: https://docs.google.com/document/d/1{hex_token(rng, 10)}/edit?disco=AAAA{hex_token(rng, 6)}',
        actor,
    )


def _slack(rng: random.Random, first: str) -> Made:
    channel = rng.choice(("#product", "#sales", "#customer-globex", "#initech-pilot", "#random", "#eng"))
    return (
        "[Slack] Notifications from the Acme workspace",
        f"Hi {first},\n\nYou have {rng.randint(2, 14)} unread messages in {channel} and {rng.randint(1, 4)} direct messages.\n\nOpen Slack: https://acme.slack.com",
        None,
    )


def _linkedin(rng: random.Random, first: str) -> Made:
    return rng.choice(
        (
            (
                f"{first}, you appeared in {rng.randint(5, 40)} searches this week",
                "See who's looking: https://www.linkedin.com/me/search-appearances",
                None,
            ),
            (
                "Priya Raman shared a post",
                'Priya Raman: "Proud of our ops team for cutting reporting time in half this quarter..."\n\nhttps://www.linkedin.com/feed/',
                None,
            ),
            (
                f"{first}, add Tom Becker - IT Director at Globex",
                "People you may know: Tom Becker, IT Director at Globex\n\nhttps://www.linkedin.com/mynetwork/",
                None,
            ),
            (
                "You have 3 new invitations",
                "Jonas Weber, Aiko Sato and 1 other want to connect.\n\nhttps://www.linkedin.com/mynetwork/invitation-manager/",
                None,
            ),
        )
    )


def _newsletter(title: str) -> Callable[[random.Random, str], Made]:
    def make(rng: random.Random, first: str) -> Made:
        topic = rng.choice(
            (
                "How the best teams run quarterly planning",
                "Pricing pages that convert",
                "The onboarding metric that matters",
                "Why your forecast is wrong",
                "Discovery calls: 12 questions that work",
            )
        )
        return (
            f"{title}: {topic}",
            f"This week: {topic}.\n\nPlus: three links worth your time and a job board.\n\nRead online: https://{title.lower().replace(' ', '')}.example/p/{hex_token(rng, 8)}",
            None,
        )

    return make


def _promo(rng: random.Random, first: str) -> Made:
    return rng.choice(
        (
            (
                "Last chance: early-bird pricing for SaaS Connect ends Friday",
                "Save $400 on SaaS Connect passes until Friday midnight.",
                None,
            ),
            ("20% off your next bag ☕", f"{first}, your favourite roast is back. Use code BREW20 at checkout.", None),
            ("Fares to Lisbon from $389 round trip ✈️", "Spring sale: fly to Lisbon, Porto and Madrid from $389.", None),
            (
                "Your Q3 planning template (free download)",
                "Plan your quarter in an afternoon with our free template.",
                None,
            ),
        )
    )


def _salesforce(rng: random.Random, first: str) -> Made:
    deal = rng.choice(
        ("Globex — FY26 Renewal", "Initech — Pilot to Contract", "Hooli — New Business", "Vandelay — Partner Sourced")
    )
    change = rng.choice(("Stage changed to Proposal", "Close date changed", "Amount updated", "Next step updated"))
    return (
        f"Opportunity update: {deal}",
        f"{change} on {deal}.\n\nView in Salesforce: https://acme.my.salesforce.example/lightning/r/Opportunity/006{hex_token(rng, 12)}/view",
        None,
    )


def _ramp(rng: random.Random, first: str) -> Made:
    amount = f"${rng.randint(8, 240)}.{rng.randint(0, 99):02d}"
    vendor = rng.choice(("Uber", "Delta Air Lines", "Blue Bottle Coffee", "WeWork", "Figma", "Amazon Web Services"))
    return (
        f"Receipt needed: {amount} at {vendor}",
        f"Hi {first}, upload a receipt for your {amount} transaction at {vendor}. Reply to this email with a photo of the receipt.",
        None,
    )


def _forum(rng: random.Random, first: str) -> Made:
    topic = rng.choice(
        (
            "CSV export truncates long fields",
            "Feature request: scheduled exports",
            "SSO with Azure AD: tips",
            "How do you organize dashboards?",
        )
    )
    return (
        f"[Acme Community] {topic}",
        f"{rng.choice(_PEOPLE[3:])} posted in Product Feedback:\n\n{topic}\n\nVisit the topic: https://community.acme.example/t/{hex_token(rng, 6)}",
        None,
    )


def _figma(rng: random.Random, first: str) -> Made:
    actor = rng.choice(("Alice Nguyen", "Carmen Ruiz", "Aiko Sato", "Jonas Weber"))
    frame = rng.choice(("Flow B / Step 2", "Empty state / Dashboard", "Invite banner", "Report builder"))
    return (
        f"{actor} commented on Onboarding v3",
        f'{actor} left a comment on "{frame}":\n\n"Should this button say \'Create report\' instead?"\n\nView in Figma: https://www.figma.com/file/Xq7onb0ard1ng/Onboarding-v3',
        actor,
    )


def _docusign(rng: random.Random, first: str) -> Made:
    doc = rng.choice(
        ("Globex Order Form FY26", "Initech Pilot Agreement", "Hooli Mutual NDA", "Vandelay Reseller Agreement")
    )
    state = rng.choice(("Completed", "Viewed", "Please DocuSign"))
    return (
        f"{state}: {doc}",
        f"{state}: {doc}\n\nReview the document: https://docusign.example/envelopes/{hex_token(rng, 12)}",
        None,
    )


def _security(rng: random.Random, first: str) -> Made:
    device = rng.choice(("Mac", "iPhone", "Windows", "Linux"))
    return (
        f"Security alert: new sign-in on {device}",
        f"We noticed a new sign-in to your Google Account on a {device} device. If this was you, you don't need to do anything. If not, we'll help you secure your account.\n\nCheck activity: https://myaccount.google.com/notifications",
        None,
    )


@dataclass(frozen=True)
class Stream:
    """One automated sender and its audience."""

    key: str
    sender: str
    name: str
    category: str
    make: Callable[[random.Random, str], Made]
    rates: dict[str, float]  # recipient -> messages per week
    html_only: bool = False
    unsubscribe: bool = True
    labels: tuple[str, ...] = ()
    forum: bool = False
    threads: bool = False  # notifications about one item (pull request, issue) form a thread


def _everyone(rate: float) -> dict[str, float]:
    return dict.fromkeys(WORKSPACE_EMAILS, rate)


# fmt: off
STREAMS: tuple[Stream, ...] = (
    Stream("github", "notifications@github.com", "GitHub", "CATEGORY_UPDATES", _github, {CARMEN: 18, ALICE: 6, DIETER: 3}, labels=("GitHub",), threads=True),
    Stream("linear", "notifications@linear.app", "Linear", "CATEGORY_UPDATES", _linear, {ALICE: 6, CARMEN: 7, EMI: 5}, threads=True),
    Stream("docs", "comments-noreply@docs.google.com", "Google Docs", "CATEGORY_UPDATES", _docs, {ALICE: 3, CARMEN: 2, EMI: 2, FRANK: 2}, unsubscribe=False),
    Stream("figma", "comments-noreply@figma.com", "Figma", "CATEGORY_UPDATES", _figma, {EMI: 9, ALICE: 2, CARMEN: 1}, labels=("Design",)),
    Stream("slack", "no-reply@slack.com", "Slack", "CATEGORY_UPDATES", _slack, _everyone(5), html_only=True),
    Stream("linkedin", "messages-noreply@linkedin.com", "LinkedIn", "CATEGORY_SOCIAL", _linkedin, {**_everyone(3), BEN: 6, FRANK: 5, SAM: 2}, html_only=True),
    Stream("productbrief", "hello@productbrief.example", "The Product Brief", "CATEGORY_PROMOTIONS", _newsletter("The Product Brief"), {ALICE: 1, EMI: 1, CARMEN: 1}, html_only=True),
    Stream("revenueweekly", "newsletter@revenueweekly.example", "Revenue Weekly", "CATEGORY_PROMOTIONS", _newsletter("Revenue Weekly"), {BEN: 1, DIETER: 1, FRANK: 1}, html_only=True),
    Stream("promos", "offers@deals.example", "Northwind Offers", "CATEGORY_PROMOTIONS", _promo, {**_everyone(4), SAM: 5}, html_only=True),
    Stream("salesforce", "noreply@salesforce.example", "Salesforce", "CATEGORY_UPDATES", _salesforce, {BEN: 12, FRANK: 9, DIETER: 6}, unsubscribe=False),
    Stream("docusign", "dse@docusign.example", "DocuSign", "CATEGORY_UPDATES", _docusign, {BEN: 2, FRANK: 2, DIETER: 1}, unsubscribe=False, labels=("Deals",)),
    Stream("ramp", "no-reply@ramp.example", "Ramp", "CATEGORY_UPDATES", _ramp, _everyone(1.5), unsubscribe=False, labels=("Receipts",)),
    Stream("security", "no-reply@accounts.google.com", "Google", "CATEGORY_UPDATES", _security, {**_everyone(0.4), SAM: 0.5}, unsubscribe=False),
    Stream("forum", "community@acme-community.example", "Acme Community", "CATEGORY_FORUMS", _forum, {ALICE: 2, CARMEN: 3, DIETER: 2}, forum=True),
)
# fmt: on
