# ruff: noqa: E501 - message bodies read better unwrapped
"""The hand-written conversations around Alice, tied to the calendar and to Fathom.

They follow the same stories as the meetings: the Globex renewal, the Initech pilot, the Q3
roadmap, onboarding design, hiring and the Vandelay partnership. Four of them end with a direct
question to Alice in the last 72 hours that she has not answered.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime

from sandbox.seed.calendar_plan import Slot
from sandbox.seed.mail_mime import Clock, MailSpec, Step, conversation, message_id
from sandbox.seed.mail_threads import answered_threads
from sandbox.seed.people import (
    ALICE,
    BEN,
    CARMEN,
    DIETER,
    EMI,
    FRANK,
    PRIYA,
    PRODUCT_LIST,
    RAJ,
)


def _waiting(clock: Clock, slots: dict[str, Slot]) -> list[Sequence[MailSpec]]:
    rng = clock.rng
    since_crit = clock.hours_since(slots["design-crit"].end) if "design-crit" in slots else 60
    return [
        conversation(
            rng,
            "globex-q3-numbers",
            "Q3 usage numbers for the renewal",
            [
                Step(
                    PRIYA,
                    (ALICE,),
                    "Hi Alice,\n\nThanks again for walking us through the roadmap at the QBR. Could you send me the Q3 usage numbers by Friday? Our CFO wants active seats per department before we sign off on the 250-seat expansion. A CSV is perfect: department, active seats, weekly active users.\n\nBest,\nPriya",
                    cc=(BEN,),
                )
            ],
            clock.ago(6, 30, PRIYA),
            user_labels=("Customers",),
            waiting=True,
        ),
        conversation(
            rng,
            "audit-log-date",
            "Audit log launch date?",
            [
                Step(
                    FRANK,
                    (ALICE,),
                    "Alice, can you confirm the GA date for audit log export? I want to give Globex and Initech a firm date on this week's calls. Is end of next month still realistic, or should I say next quarter?\n\nFrank",
                )
            ],
            clock.ago(2, 20, FRANK),
            waiting=True,
        ),
        conversation(
            rng,
            "initech-sso-fix",
            "Initech pilot: SAML clock-skew fix is live",
            [
                Step(
                    CARMEN,
                    (RAJ,),
                    "Hi Raj,\n\nThe clock-skew fix is live on your pilot tenant as of this morning: we now accept assertions up to three minutes early or late. Could you ask the two affected users to try again?\n\nThanks,\nCarmen",
                    cc=(DIETER, ALICE),
                ),
                Step(
                    RAJ,
                    (CARMEN,),
                    "Confirmed, both users are in. Thanks for the quick turnaround.\n\nRaj",
                    cc=(DIETER, ALICE),
                    gap_hours=2.5,
                ),
                Step(
                    RAJ,
                    (ALICE,),
                    "Alice, one open item from our call: can you confirm whether SCIM group push is supported in the pilot? Our IdP team has a change window next Wednesday and needs to know whether to configure group assignments.\n\nThanks,\nRaj",
                    cc=(CARMEN, DIETER),
                    gap_hours=16,
                ),
            ],
            clock.ago(20, 50, RAJ),
            user_labels=("Customers",),
            waiting=True,
        ),
        conversation(
            rng,
            "onboarding-flows",
            "Onboarding prototypes",
            [
                Step(
                    ALICE,
                    (EMI,),
                    "Hi Emi,\n\nThanks for the crit. Could you send me the latest prototypes of both flows, with the empty states you mentioned? I'll write up the decision.\n\nAlice",
                    cc=(CARMEN,),
                ),
                Step(
                    EMI,
                    (ALICE,),
                    "Hi Alice,\n\nHere are both prototypes:\nFlow A: https://www.figma.com/proto/Xq7onb0ard1ng/Onboarding-v3?node-id=12-340\nFlow B: https://www.figma.com/proto/Xq7onb0ard1ng/Onboarding-v3?node-id=18-92\n\nEmpty states are still in progress. Which of the two onboarding flows should we take into user testing next week? I lean towards B, but I'd like your call before I book participants.\n\nThanks!\nEmi",
                    cc=(CARMEN,),
                    gap_hours=12,
                ),
            ],
            clock.ago(2, max(3.0, min(40.0, since_crit - 13)), EMI),
            waiting=True,
        ),
    ]


def _drafts(clock: Clock) -> list[MailSpec]:
    rng = clock.rng
    return [
        MailSpec(
            thread="draft-offsite-agenda",
            sender=ALICE,
            to=(PRODUCT_LIST,),
            subject="Lisbon offsite: draft agenda",
            when=clock.ago(3, 20, ALICE),
            text="Hi all,\n\nRough agenda for Lisbon:\n\nDay 1: Q3 roadmap deep dive, onboarding flow B walkthrough\nDay 2: team health, hiring plan, dinner\n\nTBD: ",
            message_id=message_id(rng, ALICE),
            folder="DRAFT",
        ),
        MailSpec(
            thread="draft-globex-3yr",
            sender=BEN,
            to=(PRIYA,),
            subject="Globex: three-year pricing",
            when=clock.ago(5, 30, BEN),
            text="Hi Priya,\n\nFollowing up on the three-year option: ",
            message_id=message_id(rng, BEN),
            folder="DRAFT",
        ),
    ]


def story_mail(rng: random.Random, anchor: datetime, slots: dict[str, Slot]) -> list[MailSpec]:
    """The storyline conversations and drafts."""
    clock = Clock(rng, anchor)
    specs: list[MailSpec] = []
    for thread in (*_waiting(clock, slots), *answered_threads(clock, slots)):
        specs.extend(thread)
    specs.extend(_drafts(clock))
    return specs
