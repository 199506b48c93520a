# ruff: noqa: E501 - message bodies read better unwrapped
"""The storyline conversations around Alice that need nothing from her now: follow-ups after the
Globex QBR and the Hooli call, the roadmap draft, hiring, a promotion packet, usage exports, the
security questionnaire and the Vandelay agreement. Attachments ride on several of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sandbox.seed.calendar_plan import Slot
from sandbox.seed.mail_files import docx_file, hostile_pdf, pdf_file, pilot_usage_csv, pptx_file, xlsx_file
from sandbox.seed.mail_mime import Clock, MailSpec, Step, conversation
from sandbox.seed.people import (
    ALICE,
    BEN,
    CARMEN,
    DIETER,
    EMI,
    FRANK,
    JESS,
    LENA,
    OWEN,
    PRIYA,
    PRODUCT_LIST,
    TESSA,
    TOM,
)


def answered_threads(clock: Clock, slots: dict[str, Slot]) -> list[Sequence[MailSpec]]:
    """Conversations that ended with a reply from Alice or that did not need one."""
    rng = clock.rng
    threads: list[Sequence[MailSpec]] = []
    if "globex-qbr" in slots:
        order_form = pdf_file(
            "Acme-Globex-Order-Form-250-seats.pdf",
            "Order Form: Globex Corporation",
            [
                "Product: Acme Platform, Business edition",
                "Seats: 250",
                "Term: 12 months (36-month option: see page 2)",
                "Annual uplift cap: 5%",
                "Prepared by: Ben Okafor, Account Executive",
            ],
        )
        end = clock.after(slots["globex-qbr"].end, 30, 52)
        threads.append(
            conversation(
                rng,
                "globex-qbr-follow-up",
                "Follow-up: Globex QBR and next steps",
                [
                    Step(
                        BEN,
                        (PRIYA, TOM),
                        "Hi Priya, Tom,\n\nThanks for the time today. Quick recap:\n\n1. Usage: 212 of 230 seats active, weekly active usage up 18% on last quarter.\n2. SSO enforcement ships in the next release; we'll set up a sandbox tenant for Tom's team to test.\n3. Audit log export is in beta, GA targeted for the end of next month. Alice will share the timeline and field list.\n4. Renewal: attached is a revised order form for 250 seats, with a three-year option and a 5% uplift cap.\n\nLet me know if I missed anything.\n\nBest,\nBen",
                        cc=(ALICE,),
                        attachments=(order_form,),
                    ),
                    Step(
                        PRIYA,
                        (BEN,),
                        "Thanks Ben, this is helpful. I'm reviewing the order form with procurement and will come back to you next week.\n\nPriya",
                        cc=(TOM, ALICE),
                        gap_hours=20,
                    ),
                    Step(
                        ALICE,
                        (PRIYA,),
                        "Hi Priya,\n\nAs promised, here's where audit log export stands: the beta is live with two customers and we're targeting GA at the end of next month. I'll send the full field list once it's final.\n\nBest,\nAlice",
                        cc=(BEN, TOM),
                        gap_hours=6,
                    ),
                ],
                end,
                user_labels=("Customers",),
                starred=True,
            )
        )
    if "hooli-discovery" in slots:
        end = clock.after(slots["hooli-discovery"].end, 40, 60)
        threads.append(
            conversation(
                rng,
                "hooli-intro",
                "Intro: Alice (Acme) <> Owen (Hooli)",
                [
                    Step(
                        BEN,
                        (OWEN,),
                        "Owen, as promised, introducing Alice, who runs product at Acme. Alice, Owen leads revenue operations at Hooli; they're looking to replace a very manual weekly pipeline report. I'll let you two take it from here.\n\nBen",
                        cc=(ALICE,),
                    ),
                    Step(
                        OWEN,
                        (ALICE,),
                        "Thanks Ben (moving you to bcc). Alice, great to e-meet you. Jess and I would love 30 minutes to walk you through how our Monday pipeline deck gets built today. Happy to work around your calendar.\n\nOwen",
                        cc=(JESS,),
                        gap_hours=5,
                    ),
                    Step(
                        ALICE,
                        (OWEN,),
                        "Hi Owen, great to meet you too. I'd love that; I'll send an invite for next week. Looking forward to it.\n\nAlice",
                        cc=(JESS,),
                        gap_hours=3,
                    ),
                ],
                end,
                user_labels=("Customers",),
            )
        )
    if "roadmap-review" in slots:
        end = slots["roadmap-review"].start - timedelta(hours=rng.uniform(3, 6))
        threads.append(
            conversation(
                rng,
                "q3-roadmap",
                "Q3 roadmap draft: comments by Thursday",
                [
                    Step(
                        ALICE,
                        (PRODUCT_LIST,),
                        "Hi all,\n\nThe Q3 roadmap draft is ready for comments: https://docs.google.com/document/d/1q3R0adm4p-draft/edit\n\nTop candidates: SSO enforcement, audit log export and the new onboarding flow. Custom dashboards are on the cut line. Please comment in the doc by Thursday; we'll finalize in the review. The review slides are attached.\n\nThanks,\nAlice",
                        cc=(FRANK,),
                        attachments=(
                            pptx_file(
                                "Q3-roadmap-review.pptx",
                                [
                                    ("Q3 roadmap", ["Review draft", "Product team"]),
                                    ("Top candidates", ["SSO enforcement", "Audit log export", "New onboarding flow"]),
                                    ("Cut line", ["Custom dashboards"]),
                                ],
                            ),
                        ),
                    ),
                    Step(
                        CARMEN,
                        (ALICE,),
                        "Left comments. Main one: audit log export needs a background job for large tenants, so it's closer to three weeks than one. Estimate to follow.\n\nCarmen",
                        cc=(PRODUCT_LIST, FRANK),
                        gap_hours=18,
                    ),
                    Step(
                        FRANK,
                        (ALICE,),
                        "Looks right to me. Globex and Initech both keep asking about audit logs, so I'd keep that above dashboards.\n\nFrank",
                        cc=(PRODUCT_LIST,),
                        gap_hours=4,
                    ),
                    Step(
                        ALICE,
                        (PRODUCT_LIST,),
                        "Thanks both, updated. See you at the review.\n\nAlice",
                        cc=(FRANK,),
                        gap_hours=2,
                    ),
                ],
                end,
                user_labels=("Roadmap",),
            )
        )
    if "alice-carmen-1on1" in slots:
        packet = docx_file(
            "Carmen_Ruiz_Staff_Engineer_Packet.docx",
            "Promotion packet: Carmen Ruiz",
            [
                ("Role", ["Staff Engineer", "Scope: SSO, provisioning and identity platform"]),
                (
                    "Impact",
                    [
                        "- Enterprise SSO launch",
                        "- SAML reliability: login failures down from 1.2% to 0.1%",
                        "- Pilot support for Initech",
                    ],
                ),
                ("Peer feedback", ["See appendix."]),
            ],
        )
        end = clock.after(slots["alice-carmen-1on1"].end, 20, 30)
        threads.append(
            conversation(
                rng,
                "promo-packet",
                "Promotion packet draft",
                [
                    Step(
                        CARMEN,
                        (ALICE,),
                        "Hi Alice,\n\nAs promised, attached is the draft of my promotion packet. The impact section is the one I'm least sure about.\n\nThanks,\nCarmen",
                        attachments=(packet,),
                    ),
                    Step(
                        ALICE,
                        (CARMEN,),
                        "Thanks Carmen! I'll read it this week and send comments before calibration.\n\nAlice",
                        gap_hours=9,
                    ),
                ],
                end,
            )
        )
    resume = pdf_file(
        "Nadia_Hassan_Resume.pdf",
        "Nadia Hassan",
        [
            "Senior Product Manager, Northwind Analytics (2021-present)",
            "Product Manager, Fabrikam (2017-2021)",
            "Led self-serve onboarding redesign: +22% activation",
            "B.S. Information Science",
        ],
    )
    threads.append(
        conversation(
            rng,
            "interview-nadia",
            "Interview loop: Nadia Hassan (Senior PM)",
            [
                Step(
                    TESSA,
                    (ALICE, EMI),
                    "Hi Alice, Emi,\n\nNadia Hassan is coming in for the Senior PM loop next week. Alice, you have the product sense round; Emi, the design collaboration round. Resume attached; scorecards are in Greenhouse.\n\nThanks!\nTessa",
                    attachments=(resume,),
                ),
                Step(
                    ALICE,
                    (TESSA,),
                    "Thanks Tessa, happy to take product sense. I'll accept the invite once it's out.\n\nAlice",
                    cc=(EMI,),
                    gap_hours=5,
                ),
            ],
            clock.ago(90, 120, ALICE),
            user_labels=("Hiring/Interviews",),
        )
    )
    usage = pilot_usage_csv(rng, (clock.anchor - timedelta(days=5)).date())
    threads.append(
        conversation(
            rng,
            "initech-usage",
            "Initech pilot usage, weeks 1-2",
            [
                Step(
                    CARMEN,
                    (ALICE,),
                    "Here's the usage export you asked for. Daily actives are climbing; reports per user are the number to watch.\n\nCarmen",
                    cc=(DIETER,),
                    attachments=(usage,),
                ),
                Step(
                    DIETER,
                    (CARMEN,),
                    "Thanks, I'll share the highlights with Raj on Thursday.\n\nDieter",
                    cc=(ALICE,),
                    gap_hours=4,
                ),
            ],
            clock.ago(100, 130, DIETER),
            user_labels=("Customers",),
        )
    )
    questionnaire = xlsx_file(
        "Globex-Vendor-Security-Questionnaire.xlsx",
        {
            "Questions": [
                ["Section", "Question", "Answer"],
                ["A. Data handling", "Is customer data encrypted at rest?", "Yes, AES-256"],
                ["B. Access control and SSO", "Do you support SAML SSO?", "Yes"],
                ["C. Logging and audit", "Can audit logs be exported?", ""],
                ["D. Incident response", "What is your breach notification window?", ""],
            ],
            "Contacts": [["Role", "Name"], ["Security lead", "Tom Becker"]],
        },
    )
    threads.append(
        conversation(
            rng,
            "globex-security",
            "Globex vendor security questionnaire",
            [
                Step(
                    TOM,
                    (BEN,),
                    "Hi Ben,\n\nAttached is our vendor security questionnaire for the renewal. Sections C and D usually take the longest.\n\nRegards,\nTom",
                    cc=(ALICE,),
                    attachments=(questionnaire,),
                ),
                Step(BEN, (TOM,), "Thanks Tom, we'll have it back to you by Friday.\n\nBen", cc=(ALICE,), gap_hours=3),
                Step(ALICE, (BEN,), "Product sections are done; Carmen is finishing section C.\n\nAlice", gap_hours=40),
            ],
            clock.ago(380, 460, ALICE),
            user_labels=("Customers",),
        )
    )
    agreement = pdf_file(
        "Acme-Vandelay-Reseller-Agreement-DRAFT.pdf",
        "Reseller Agreement (DRAFT)",
        [
            "Parties: Acme, Inc. and Vandelay Industries GmbH",
            "Territory: Germany, Austria, Switzerland",
            "Partner discount: 25% off list",
            "Deal registration: 90 days",
        ],
    )
    if "vandelay-intro" in slots:
        end = clock.after(slots["vandelay-intro"].end, 26, 40)
        threads.append(
            conversation(
                rng,
                "vandelay-agreement",
                "Vandelay reseller agreement: draft",
                [
                    Step(
                        FRANK,
                        (LENA,),
                        "Hi Lena,\n\nGreat speaking today. As promised, the draft reseller agreement is attached so your legal team can start.\n\nBest,\nFrank",
                        cc=(DIETER,),
                        attachments=(agreement,),
                    ),
                    Step(
                        LENA,
                        (FRANK,),
                        "Thank you Frank, our legal team is reviewing it now. I'll send the target account list separately.\n\nBeste Grüße\nLena",
                        cc=(DIETER,),
                        gap_hours=22,
                    ),
                ],
                end,
                user_labels=("Partners",),
            )
        )
        # A scanner's PDF that expands to far more than it weighs: readers must refuse it, not fall over.
        scan = hostile_pdf("Vandelay-target-accounts-scan.pdf")
        threads.append(
            conversation(
                rng,
                "vandelay-target-accounts",
                "Vandelay target account list",
                [
                    Step(
                        LENA,
                        (FRANK,),
                        "Hi Frank,\n\nAs promised, our target account list, scanned from the printout from our planning day.\n\nBeste Grüße\nLena",
                        cc=(ALICE, DIETER),
                        attachments=(scan,),
                    ),
                ],
                clock.after(end, 20, 30),
                user_labels=("Partners",),
            )
        )
    return threads
