# ruff: noqa: E501 - message bodies read better unwrapped
"""Everyday mail for every account, from templates: questions waiting on someone, short exchanges
that ended with a thank-you, company announcements, and the personal accounts' mail.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from sandbox.seed.mail_files import pipeline_csv
from sandbox.seed.mail_mime import Clock, MailSpec, Step, conversation
from sandbox.seed.mail_templates import EXCHANGES, QUESTIONS
from sandbox.seed.people import (
    ALEX,
    ALICE,
    ALL_HANDS,
    BEN,
    CARMEN,
    DIETER,
    EMI,
    FRANK,
    HANNAH,
    JESS,
    JORDAN,
    LENA,
    LINDA,
    MAYA,
    OWEN,
    PEOPLE_OPS,
    PRIYA,
    RAJ,
    SAM,
    TESSA,
    TOM,
    WORKSPACE_EMAILS,
    contact,
)

_CUSTOMERS = {
    ALICE: (PRIYA, RAJ, OWEN),
    BEN: (PRIYA, TOM, OWEN, JESS),
    CARMEN: (RAJ, TOM),
    DIETER: (RAJ, MAYA, LENA, JESS),
    EMI: (RAJ, PRIYA),
    FRANK: (LENA, HANNAH, PRIYA),
}
_TOPICS = ("SQL window functions", "writing good PRDs", "our SSO architecture", "negotiation basics", "accessibility")
_DAYS = ("Friday", "Monday", "the 14th", "Thursday afternoon")


def _exchange_hours(rng: random.Random) -> tuple[float, float]:
    """When an exchange ended: often in the last three days, otherwise over the month."""
    return (3, 72) if rng.random() < 0.3 else (72, 650)


def _exchanges_for(person: str, clock: Clock, count: int, used: dict[str, set[int]]) -> list[Sequence[MailSpec]]:
    """`count` exchanges started by or with `person`; `used` keeps one person from seeing a template twice."""
    rng = clock.rng
    threads: list[Sequence[MailSpec]] = []
    fresh = [i for i in range(len(EXCHANGES)) if i not in used[person]]
    for n, choice in enumerate(rng.sample(fresh, min(count, len(fresh)))):
        template = EXCHANGES[choice]
        if template.external:
            pool = _CUSTOMERS[person]
        else:
            colleagues = [p for p in WORKSPACE_EMAILS if p != person]
            pool = tuple(p for p in colleagues if choice not in used[p]) or tuple(colleagues)
        partner = rng.choice(pool)
        used[person].add(choice)
        used.setdefault(partner, set()).add(choice)
        if template.external:
            first, second = (person, partner) if template.person_starts else (partner, person)
        else:
            first, second = (partner, person) if rng.random() < 0.5 else (person, partner)
        customer = contact(partner if template.external else rng.choice(_CUSTOMERS[person])).org
        fill = {
            "a": contact(first).first,
            "b": contact(second).first,
            "topic": rng.choice(_TOPICS),
            "day": rng.choice(_DAYS),
            "customer": customer,
            "invoice": f"INV-{rng.randint(20000, 29999)}",
            "po": f"PO-{rng.randint(400000, 499999)}",
        }
        steps: list[Step] = []
        for turn, text in enumerate(template.turns):
            sender, recipient = (first, second) if turn % 2 == 0 else (second, first)
            attach = (pipeline_csv(rng),) if template.metrics and turn == 0 else ()
            steps.append(Step(sender, (recipient,), text.format(**fill), attachments=attach))
        low, high = _exchange_hours(rng)
        subject = template.subject.format(**fill)
        threads.append(
            conversation(
                rng, f"x-{person}-{n}", subject, steps, clock.ago(low, high, second), user_labels=template.labels
            )
        )
    return threads


def _announcements(clock: Clock) -> list[Sequence[MailSpec]]:
    rng = clock.rng
    notes = (
        (
            PEOPLE_OPS,
            "Benefits enrollment closes Friday",
            "Hi everyone,\n\nA reminder that open enrollment for next year's benefits closes this Friday at 5pm ET. If you don't make changes, your current elections roll over.\n\nPeople Ops",
            150,
            260,
        ),
        (
            FRANK,
            "Welcome Marco to the Sales team!",
            "Hi all,\n\nPlease join me in welcoming Marco Silva, who joins us as an Account Executive covering Southern Europe. Marco spent the last five years at Fabrikam. Say hi!\n\nFrank",
            300,
            400,
        ),
        (
            PEOPLE_OPS,
            "Lisbon offsite: travel and dietary form",
            "Hi everyone,\n\nThe Lisbon offsite is coming up. Please fill in the travel and dietary form by Friday: https://forms.gle/acme-offsite-lisbon\n\nThanks,\nPeople Ops",
            30,
            60,
        ),
        (
            ALICE,
            "Shipped: SSO enforcement per domain",
            "Hi all,\n\nSSO enforcement per domain is live for every workspace on the Business plan. Admins can now turn off password logins for their domains. Thanks Carmen for carrying this over the line!\n\nAlice",
            60,
            90,
        ),
    )
    return [
        conversation(rng, f"all-hands-{n}", subject, [Step(sender, (ALL_HANDS,), body)], clock.ago(low, high, sender))
        for n, (sender, subject, body, low, high) in enumerate(notes)
    ]


def _personal(clock: Clock) -> list[Sequence[MailSpec]]:
    rng = clock.rng
    return [
        conversation(
            rng,
            "sam-climbing",
            "Climbing Wednesday?",
            [
                Step(ALEX, (SAM,), "Hey! Still on for Wednesday at Movement? I can pick you up around 6:15.\n\nAlex"),
                Step(SAM, (ALEX,), "Yes! 6:15 works. I'll bring the new rope.\n\nSam", gap_hours=1.5),
                Step(ALEX, (SAM,), "Perfect, see you then.", gap_hours=0.5),
            ],
            clock.ago(20, 60, ALEX),
            user_labels=("Climbing",),
        ),
        conversation(
            rng,
            "sam-mom",
            "Thanksgiving plans",
            [
                Step(
                    LINDA,
                    (SAM,),
                    "Hi sweetie,\n\nAre you flying in on Wednesday or Thursday? Grandma wants to know how many pies to make.\n\nLove,\nMom",
                ),
            ],
            clock.ago(8, 40, LINDA),
            waiting=True,
        ),
        conversation(
            rng,
            "jordan-onboarding",
            "Contractor onboarding at Acme",
            [
                Step(
                    TESSA,
                    (JORDAN,),
                    "Hi Jordan,\n\nWelcome aboard! Your contractor agreement is signed on our side. IT will set up your access on Monday; until then you'll hear from us at this address.\n\nBest,\nTessa",
                ),
                Step(JORDAN, (TESSA,), "Thanks Tessa, looking forward to starting.\n\nJordan", gap_hours=10),
            ],
            clock.ago(30, 90, JORDAN),
        ),
    ]


def everyday_mail(clock: Clock, exchanges_per_person: int = 12) -> list[MailSpec]:
    """Questions, exchanges, announcements and personal mail for everyone."""
    rng = clock.rng
    threads: list[Sequence[MailSpec]] = []
    for asker, asked, subject, body, labels in QUESTIONS:
        text = body.format(a=contact(asker).first, b=contact(asked).first)
        steps = [Step(asker, (asked,), text)]
        key = f"q-{asked}-{subject}"
        threads.append(
            conversation(rng, key, subject, steps, clock.ago(2, 68, asker), user_labels=labels, waiting=True)
        )
    used: dict[str, set[int]] = {person: set() for person in WORKSPACE_EMAILS}
    for person in WORKSPACE_EMAILS:
        threads += _exchanges_for(person, clock, exchanges_per_person, used)
    threads += _announcements(clock)
    threads += _personal(clock)
    return [spec for thread in threads for spec in thread]
