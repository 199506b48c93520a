# ruff: noqa: E501 - dialogue and summary lines read better unwrapped
"""What was said in the recorded customer and partner meetings: dialogue, summaries, action items.

A line may carry the index of the action item it produced, so the item's timestamp points at the
moment it was agreed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.seed.people import (
    ALICE,
    BEN,
    CARMEN,
    DIETER,
    FRANK,
    JESS,
    LENA,
    MAYA,
    OWEN,
    PRIYA,
    RAJ,
    TOM,
)

MARKUS = "Markus Weber"  # joined the Vandelay call without an invitation: an unmatched speaker


@dataclass(frozen=True)
class Action:
    assignee: str
    description: str
    completed: bool = False


@dataclass(frozen=True)
class Script:
    """One recorded meeting's content."""

    key: str  # the calendar event (or series) it recorded
    recorder: str
    purpose: str
    takeaways: tuple[str, ...]
    topics: tuple[tuple[str, tuple[str, ...]], ...]
    lines: tuple[tuple[str, str] | tuple[str, str, int], ...]  # (speaker email or name, text[, action])
    actions: tuple[Action, ...]


CUSTOMER_SCRIPTS: tuple[Script, ...] = (
    Script(
        key="globex-qbr",
        recorder=BEN,
        purpose="Review Globex's usage this quarter, the roadmap items they care about, and the renewal timeline.",
        takeaways=(
            "Globex is at 212 of 230 seats; weekly active usage is up about 18% quarter over quarter.",
            "SSO enforcement and audit log export are the two items blocking renewal sign-off.",
            "Globex intends to expand to roughly 250 seats and will consider a three-year term with an uplift cap.",
        ),
        topics=(
            (
                "Usage and adoption",
                (
                    "Operations and finance are the heaviest users.",
                    "Support adopted late but is catching up.",
                ),
            ),
            (
                "Security",
                (
                    "IT wants everyone on Okta before adding seats.",
                    "Audit log export GA targeted for end of next month.",
                ),
            ),
            (
                "Renewal",
                ("Term ends next quarter.", "CFO wants active seats per department before committing."),
            ),
        ),
        lines=(
            (
                BEN,
                "So the plan for today: usage over the last quarter, what's coming on the roadmap, and then the renewal timeline.",
            ),
            (PRIYA, "Perfect. I'd also like a few minutes on SSO, because Tom's team has questions."),
            (
                BEN,
                "Absolutely. Headline numbers first: you're at 212 active seats out of 230, and weekly active usage is up about eighteen percent since last quarter.",
            ),
            (
                PRIYA,
                "That matches what I'm hearing. Operations and finance are the heaviest users. Support adopted it late, but they're catching up.",
            ),
            (
                TOM,
                "From IT's side, the main blocker is still SSO enforcement. We want everyone going through Okta before we add more seats.",
            ),
            (
                ALICE,
                "That's on us to make easy. Per-domain SSO enforcement ships in the next release, so you can turn off password logins for Globex accounts entirely.",
            ),
            (TOM, "Great. And the audit log? Our security team keeps asking for an export."),
            (
                ALICE,
                "Audit log export is in beta now and we're targeting general availability at the end of next month. Priya, I'll send you the beta timeline and the field list.",
                0,
            ),
            (PRIYA, "Yes, please. That's probably the single biggest item for our renewal sign-off."),
            (
                BEN,
                "On the renewal: your term ends next quarter, and you mentioned growing to around 250 seats.",
            ),
            (
                PRIYA,
                "Right. Our CFO wants to see active seats per department before we commit, so I'll need the usage numbers broken down that way.",
            ),
            (
                BEN,
                "We can do that. I'll also send a revised order form with 250 seats and a three-year option.",
                1,
            ),
            (PRIYA, "Three years could work if the price holds. Procurement will ask about an uplift cap."),
            (BEN, "Understood, I'll put a cap in the proposal."),
            (
                TOM,
                "One more thing: could we get a sandbox tenant to test SSO enforcement before we roll it out?",
            ),
            (ALICE, "Yes. Ben, let's set that up as soon as the release is out."),
            (TOM, "Then I'll confirm our Okta rollout date once I've talked to my team.", 2),
            (BEN, "Perfect. Let's plan a renewal check-in in about two weeks."),
        ),
        actions=(
            Action(ALICE, "Send Priya the audit log export beta timeline and field list"),
            Action(BEN, "Send Priya a revised order form for 250 seats with a three-year option"),
            Action(TOM, "Confirm the Okta rollout date for SSO enforcement"),
        ),
    ),
    Script(
        key="initech-kickoff",
        recorder=DIETER,
        purpose="Kick off the 60-day Initech pilot: success criteria, setup plan and timeline.",
        takeaways=(
            "Success means two teams (about 40 people) using the product daily by the end of the pilot.",
            "Initech uses Okta; users will be provisioned via SCIM, groups maybe later.",
            "Procurement needs a clear decision point and the security documents early.",
        ),
        topics=(
            (
                "Success criteria",
                ("Daily active usage, SSO for everyone, less time on the Friday reporting.",),
            ),
            ("Setup", ("SAML metadata from Initech's IdP.", "SCIM token for user provisioning.")),
            ("Security review", ("SOC 2 report and pen test summary under NDA.",)),
        ),
        lines=(
            (
                DIETER,
                "Welcome to the pilot kickoff. The goal today is to agree on success criteria, the setup plan and the timeline.",
            ),
            (
                RAJ,
                "Sounds good. For us, success means two teams, about forty people, using it every day by the end of the pilot.",
            ),
            (
                MAYA,
                "And from procurement I need a clear decision point. If the pilot succeeds we'd move to a contract in the same quarter.",
            ),
            (
                ALICE,
                "That's helpful. Can we write the criteria down: daily active usage, SSO working for everyone, and time saved on the weekly reporting?",
            ),
            (
                RAJ,
                "Yes, the reporting piece is the big one. Today it takes my leads half a day every Friday.",
            ),
            (
                ALICE,
                "Then I'll send a short doc with the success criteria so everyone has them in writing.",
                0,
            ),
            (
                CARMEN,
                "For setup we'll need your IdP metadata for SAML, and if you want provisioning, a SCIM token from your side.",
            ),
            (RAJ, "We're on Okta. Users only via SCIM for now; groups we'd like later."),
            (
                CARMEN,
                "Users we support today. I'll set up a sandbox tenant this week so your IdP team can test.",
                1,
            ),
            (
                MAYA,
                "What's the timeline for the security review? Our infosec team needs the SOC 2 report and the pen test summary.",
            ),
            (DIETER, "I'll send both under NDA today.", 2),
            (RAJ, "Weekly check-ins would help. Maybe Thursdays?"),
            (DIETER, "Works for us. Raj, do you want to send the invite so it fits your team's calendar?"),
            (RAJ, "Sure, I'll send it after this call."),
        ),
        actions=(
            Action(ALICE, "Send Initech the pilot success criteria in writing", completed=True),
            Action(CARMEN, "Set up a SCIM sandbox tenant for Initech's IdP team", completed=True),
            Action(DIETER, "Send Maya the SOC 2 report and pen test summary under NDA", completed=True),
        ),
    ),
    Script(
        key="vandelay-intro",
        recorder=DIETER,
        purpose="First conversation with Vandelay Industries about reselling Acme in the DACH region.",
        takeaways=(
            "Vandelay resells to mid-sized companies in Germany, Austria and Switzerland and needs EU hosting.",
            "Their model: discount off list, first-line support and billing, deal registration.",
            "Next: draft reseller agreement, partner demo environment, and a joint pipeline review.",
        ),
        topics=(
            ("Partner model", ("Deal registration to avoid channel conflict with the direct team.",)),
            ("Enablement", ("A half-day in-person training for Vandelay's presales team.",)),
        ),
        lines=(
            (DIETER, "Lena, thanks for making time. Frank, you met Lena at the Munich event, right?"),
            (FRANK, "Yes, good to see you again."),
            (LENA, "Likewise. I brought Markus from our solutions team, I hope that's fine."),
            (MARKUS, "Hi everyone."),
            (
                LENA,
                "We resell to mid-sized companies in Germany, Austria and Switzerland, and customers keep asking for a product like yours, hosted in the EU.",
            ),
            (
                FRANK,
                "EU hosting is live in Frankfurt, so that part's easy. What does your usual partner model look like?",
            ),
            (
                LENA,
                "Discount off list, we handle first-line support and billing, and deal registration so we don't collide with your direct team.",
            ),
            (
                FRANK,
                "That works for us in principle. Deal registration matters; Ben and Dieter cover some of those accounts directly.",
            ),
            (MARKUS, "Would we get a demo environment for our presales people?"),
            (DIETER, "Yes, I'll set up a partner demo environment with German sample data.", 0),
            (LENA, "And enablement: a half-day training for our team would help a lot."),
            (
                FRANK,
                "Let's do that in person. I'll send you our draft reseller agreement so your legal team can start.",
                1,
            ),
            (LENA, "Perfect. I'll share three or four target accounts for a joint pipeline review.", 2),
        ),
        actions=(
            Action(DIETER, "Set up a partner demo environment with German sample data"),
            Action(FRANK, "Send Lena the draft reseller agreement", completed=True),
            Action(LENA, "Share three or four target accounts for a joint pipeline review"),
        ),
    ),
    Script(
        key="hooli-discovery",
        recorder=BEN,
        purpose="Discovery with Hooli's revenue operations team: current reporting, systems and timeline.",
        takeaways=(
            "Hooli's weekly pipeline deck is assembled by hand from Salesforce, billing and a data warehouse.",
            "Decision makers: Owen, the CFO for budget, and IT for security review.",
            "They want something in place before their planning cycle, within the quarter.",
        ),
        topics=(
            ("Current process", ("Monday pipeline deck built manually by Jess.",)),
            ("Integrations", ("Native Salesforce; Snowflake and BigQuery connectors.",)),
        ),
        lines=(
            (BEN, "Thanks for joining. I'd love to understand how reporting works today and where it hurts."),
            (
                OWEN,
                "We're about four hundred people in revenue and ops, and reporting lives in spreadsheets. Jess spends most of her week stitching them together.",
            ),
            (JESS, "Every Monday I pull exports from three tools and build the pipeline deck by hand."),
            (DIETER, "Which systems are those?"),
            (JESS, "Salesforce, our billing system, and a data warehouse."),
            (
                DIETER,
                "Salesforce we integrate with natively, and for the warehouse we have Snowflake and BigQuery connectors.",
            ),
            (
                OWEN,
                "Timeline-wise, we want something in place before our planning cycle, so within the quarter.",
            ),
            (BEN, "Who else would be involved in the decision?"),
            (OWEN, "Me, our CFO for budget, and IT for the security review."),
            (BEN, "Makes sense. Would a tailored demo built on your pipeline deck be useful?"),
            (JESS, "Very. I can share an anonymized version of the deck.", 0),
            (DIETER, "Then I'll build the demo around it.", 1),
            (BEN, "And I'll send a recap and our security documentation today.", 2),
        ),
        actions=(
            Action(JESS, "Share an anonymized version of the Monday pipeline deck"),
            Action(DIETER, "Build a tailored demo around Hooli's pipeline deck"),
            Action(BEN, "Send Owen a recap and the security documentation", completed=True),
        ),
    ),
    Script(
        key="initech-sso",
        recorder=CARMEN,
        purpose="Find out why some Initech users cannot sign in with SAML, and agree on a fix.",
        takeaways=(
            "Failing logins carry SAML assertions with NotBefore a few seconds in the future: clock skew.",
            "Acme will accept up to three minutes of skew; the fix is in review.",
            "Initech wants SCIM group push in the pilot and needs an answer before their IdP change window.",
        ),
        topics=(
            ("SAML clock skew", ("Only users on one Okta cell were affected.",)),
            ("SCIM groups", ("Not yet scoped; Alice to confirm.",)),
        ),
        lines=(
            (
                CARMEN,
                "I looked at the failing logins. All of them have assertions with a NotBefore a few seconds in the future.",
            ),
            (RAJ, "So clock skew between our IdP and your servers?"),
            (
                CARMEN,
                "Exactly. We currently allow zero seconds of skew. I'm changing that to three minutes, which is what most providers do.",
            ),
            (RAJ, "That explains why it only hit some users. They go through a different Okta cell."),
            (DIETER, "When can the fix be live for the pilot?"),
            (CARMEN, "It's in review; it should ship tomorrow.", 0),
            (
                RAJ,
                "Good. Second question: our IdP team wants to push groups via SCIM, not just users. Is that in the pilot?",
            ),
            (
                ALICE,
                "Let me check group push with engineering and come back to you. I don't want to promise it before we've scoped it.",
                1,
            ),
            (RAJ, "That's fine, but we need an answer before our IdP change window next week."),
            (DIETER, "Could you send us metadata from your staging Okta so we can test the fix end to end?"),
            (RAJ, "Sure, I'll send the metadata XML today.", 2),
            (CARMEN, "Once I have it, I'll run the whole flow and report back in the thread."),
        ),
        actions=(
            Action(CARMEN, "Ship the SAML clock-skew tolerance fix", completed=True),
            Action(ALICE, "Confirm whether SCIM group push is in the Initech pilot scope"),
            Action(RAJ, "Send the staging Okta metadata XML"),
        ),
    ),
)
