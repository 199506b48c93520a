# ruff: noqa: E501 - dialogue and summary lines read better unwrapped
"""What was said in the recorded internal meetings: the roadmap review, a design crit, a 1:1, the pipeline review."""

from __future__ import annotations

from sandbox.seed.fathom_scripts import Action, Script
from sandbox.seed.people import ALICE, BEN, CARMEN, DIETER, EMI, FRANK

INTERNAL_SCRIPTS: tuple[Script, ...] = (
    Script(
        key="roadmap-review",
        recorder=ALICE,
        purpose="Lock the top three Q3 priorities and agree on what moves out.",
        takeaways=(
            "Q3 priorities: SSO enforcement, audit log export (file first, API later), onboarding flow B.",
            "Audit log export is about three weeks of work, plus one week for a streaming API.",
            "Custom dashboards move to Q4; the mobile app stays in maintenance.",
        ),
        topics=(
            ("Customer asks", ("Globex and Initech both asked for audit log export and SSO enforcement.",)),
            ("Onboarding", ("Flow A: guided checklist. Flow B: first report in under five minutes.",)),
        ),
        lines=(
            (
                ALICE,
                "Thanks for all the comments on the doc. Today I want to lock the top three for Q3 and agree on what we're not doing.",
            ),
            (
                FRANK,
                "From sales, the loudest asks are audit log export and SSO enforcement. Globex and Initech both raised them.",
            ),
            (
                CARMEN,
                "SSO enforcement is nearly done. Audit log export is bigger than it looks: the schema's fine, but exporting large tenants needs a background job.",
            ),
            (ALICE, "How big is it?"),
            (CARMEN, "About three weeks for the export, plus a week if we want a streaming API."),
            (FRANK, "Customers want the file first. The API can wait."),
            (
                ALICE,
                "Agreed, file export first. Frank, I'll need your sign-off on that scope, since it changes what Ben tells Globex.",
                0,
            ),
            (
                EMI,
                "For onboarding I have two flows. Flow A is a guided checklist; flow B gets people to their first report in under five minutes.",
            ),
            (ALICE, "That's the third priority. Can you prototype flow B so we can compare it with A?"),
            (EMI, "Yes, I'll have a clickable prototype of flow B before the design crit.", 1),
            (FRANK, "What are we cutting?"),
            (ALICE, "Custom dashboards move to Q4, and the mobile app stays in maintenance mode."),
            (CARMEN, "Fine by me. I'll put the audit log estimate into the doc.", 2),
            (ALICE, "Great. I'll circulate the final roadmap doc by Friday.", 3),
        ),
        actions=(
            Action(ALICE, "Get Frank's sign-off on the audit log export scope"),
            Action(EMI, "Prototype onboarding flow B for the design crit", completed=True),
            Action(CARMEN, "Add the audit log export estimate to the roadmap doc", completed=True),
            Action(ALICE, "Circulate the final Q3 roadmap doc to the team"),
        ),
    ),
    Script(
        key="design-crit",
        recorder=ALICE,
        purpose="Critique onboarding flow B against flow A before user testing.",
        takeaways=(
            "Flow B (first report with sample data) is preferred; invites move to a banner after the first report.",
            "Empty states need design before any testing.",
            "Open question: test both flows or only flow B. Alice to decide and write it up.",
        ),
        topics=(
            ("Flow B", ("Prefilled sample data shows a result right away.",)),
            ("Testing plan", ("Three participants per flow if both are tested.",)),
        ),
        lines=(
            (
                EMI,
                "Here's flow B. The first screen asks what report you want, and we prefill it with sample data so you see a result right away.",
            ),
            (CARMEN, "Sample data is easy; we already have the demo dataset."),
            (ALICE, "I like it. My worry with flow A was that the checklist felt like homework."),
            (EMI, "Flow A does better for admins who need to invite their team first."),
            (ALICE, "What if flow B is the default and invites move into a banner after the first report?"),
            (
                EMI,
                "That could work. The empty states still need design, though. The dashboard looks broken with no data.",
            ),
            (ALICE, "Let's fix the empty states before we test anything.", 0),
            (
                CARMEN,
                "From an engineering point of view B is cheaper. A needs a whole progress-tracking service.",
            ),
            (EMI, "For user testing I'd run both flows with three participants each."),
            (ALICE, "Let me think about whether we test both or just B. I'll write up the decision.", 1),
            (CARMEN, "I'll check that the demo dataset covers every report type.", 2),
        ),
        actions=(
            Action(EMI, "Design empty states for the dashboard and reports"),
            Action(ALICE, "Write up the decision on onboarding flow A vs B and what to user test"),
            Action(CARMEN, "Check the demo dataset covers every report type"),
        ),
    ),
    Script(
        key="alice-carmen-1on1",
        recorder=ALICE,
        purpose="Weekly 1:1: workload, the SSO bus factor, and Carmen's promotion packet.",
        takeaways=(
            "Carmen is the only engineer who knows the SSO code; pair someone with her next sprint.",
            "Carmen's promotion packet draft is done; Alice reviews it before calibration.",
        ),
        topics=(
            ("Workload", ("Interruptions are the main drag.",)),
            ("Growth", ("Promotion packet ready for review.",)),
        ),
        lines=(
            (ALICE, "How's the week going?"),
            (CARMEN, "Busy. The SAML work took longer than planned, but it's close."),
            (ALICE, "Anything blocking you?"),
            (CARMEN, "Mostly interruptions. I'm the only one who knows the SSO code, which isn't great."),
            (ALICE, "Let's pair someone with you on it next sprint so you're not a single point of failure."),
            (CARMEN, "That would help. Also, I finished the draft of my promotion packet."),
            (ALICE, "Great, send it over and I'll review it before the calibration meeting.", 0),
            (CARMEN, "Thanks, I'll send it tonight."),
            (ALICE, "And let's use next week to talk about the offsite agenda."),
        ),
        actions=(Action(ALICE, "Review Carmen's promotion packet before calibration"),),
    ),
    Script(
        key="sales-pipeline",
        recorder=FRANK,
        purpose="Weekly pipeline review: commit deals, risks and partner pipeline.",
        takeaways=(
            "Globex renewal (250 seats, maybe three years) is commit; audit log timeline is the open item.",
            "Initech pilot risk: SCIM group push.",
            "Every commit deal needs a dated next step in Salesforce by Friday.",
        ),
        topics=(
            ("Commit", ("Globex renewal.",)),
            ("Pipeline", ("Initech pilot, Hooli discovery, Vandelay partnership.",)),
        ),
        lines=(
            (FRANK, "Let's go through commit first. Ben, Globex?"),
            (
                BEN,
                "Globex is commit for next quarter. 250 seats, possibly three years. The audit log timeline is the main open item.",
            ),
            (FRANK, "Has the close date moved?"),
            (BEN, "Not yet, but I'll update it in Salesforce after the renewal check-in.", 0),
            (DIETER, "The Initech pilot is going okay. The SSO issue is fixed; now they want SCIM groups."),
            (FRANK, "What's the risk there?"),
            (DIETER, "If we can't do groups, their IdP team might push back. Alice is checking the scope."),
            (BEN, "Hooli is early. Discovery went well; a tailored demo is next."),
            (FRANK, "And Vandelay?"),
            (DIETER, "The agreement is with their legal team, and Lena is sending target accounts."),
            (
                FRANK,
                "Good. Let's make sure every commit deal has a dated next step in Salesforce by Friday.",
                1,
            ),
        ),
        actions=(
            Action(BEN, "Update the Globex renewal close date in Salesforce"),
            Action(FRANK, "Check every commit deal has a dated next step in Salesforce"),
        ),
    ),
)
