# ruff: noqa: E501 - message bodies read better unwrapped
"""Templates for everyday mail: direct questions awaiting an answer, and short exchanges."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.seed.people import ALICE, BEN, CARMEN, DIETER, EMI, FRANK, HANNAH, LENA, OWEN, RAJ

# (asker, person asked, subject, body, user labels): direct questions nobody has answered yet.
QUESTIONS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    (
        CARMEN,
        ALICE,
        "Expense report: Toronto trip",
        "Hi {b},\n\nCould you approve my expense report for the Toronto trip? Ramp says it has been waiting on you since Monday.\n\nThanks,\n{a}",
        (),
    ),
    (
        FRANK,
        BEN,
        "Globex forecast",
        "Ben, could you send me the updated Globex forecast numbers by Friday? I'm finalizing the board deck and want the three-year scenario in it.\n\nFrank",
        ("Customers",),
    ),
    (
        OWEN,
        BEN,
        "Security docs and a rough quote",
        "Hi Ben,\n\nThanks again for the discovery call. Could you send over your security documentation and a rough quote for about 120 seats? Our CFO asked for a number before our planning meeting.\n\nBest,\nOwen",
        ("Customers",),
    ),
    (
        RAJ,
        CARMEN,
        "SCIM API rate limits?",
        "Hi Carmen,\n\nWhat are the rate limits on the SCIM API? Our IdP pushes changes in bursts after each HR sync and I'd like to avoid throttling.\n\nRaj",
        ("Customers",),
    ),
    (
        EMI,
        CARMEN,
        "Empty-state copy review",
        "Hey Carmen, could you look at the empty-state copy in Figma before Thursday? I want to make sure the error messages match what the API actually returns.\n\nThanks!\nEmi",
        (),
    ),
    (
        LENA,
        DIETER,
        "Demo environment for our presales team",
        "Hallo Dieter,\n\nCould you share the login for the partner demo environment? Our presales team would like to walk through the workflow before the enablement day.\n\nBeste Grüße\nLena",
        ("Partners",),
    ),
    (
        BEN,
        DIETER,
        "Hooli demo prep",
        "Dieter, are you free for 20 minutes tomorrow to prep the Hooli demo? Jess sent the anonymized deck and I'd like to agree on the storyline.\n\nBen",
        ("Customers",),
    ),
    (
        FRANK,
        EMI,
        "Slides for the all-hands",
        "Hi Emi,\n\nCan you send me your two slides on the onboarding redesign for Thursday's all-hands by Wednesday noon? Template is in the shared drive.\n\nThanks,\nFrank",
        (),
    ),
    (
        CARMEN,
        EMI,
        "Illustrations for empty states?",
        "Hi Emi,\n\nDo the new empty states need new illustrations, or can we reuse the ones from the mobile app? It changes what I need to ship.\n\nCarmen",
        (),
    ),
    (
        HANNAH,
        FRANK,
        "MSA redlines: renewal notice period",
        "Hi Frank,\n\nOne open point on the Globex MSA redlines: does Acme accept a 60-day notice period for the auto-renewal clause, or do you need 90? I'd like to close this out with their counsel this week.\n\nBest regards,\nHannah",
        ("Customers",),
    ),
    (
        DIETER,
        FRANK,
        "Vandelay partner discount",
        "Frank, could you approve the 25% partner discount for Vandelay before Lena's call on Thursday? Legal is fine with it.\n\nDieter",
        ("Partners",),
    ),
)


@dataclass(frozen=True)
class Exchange:
    """A short conversation that ends without a question: initiator, responder, initiator..."""

    subject: str
    turns: tuple[str, ...]  # alternate: initiator, responder, initiator...
    external: bool = False  # with a customer or partner rather than a colleague
    labels: tuple[str, ...] = ()
    metrics: bool = False  # the first message carries the weekly CSV
    person_starts: bool = False  # external exchanges start with the customer unless this is set


EXCHANGES: tuple[Exchange, ...] = (
    Exchange(
        "Lunch & learn: {topic}",
        (
            "Hi {b},\n\nI'm running a lunch & learn on {topic} next Thursday at noon. Would be great to have you there, and bring questions!\n\n{a}",
            "Count me in! I've been meaning to learn more about that.\n\n{b}",
            "Great, see you there.\n\n{a}",
        ),
    ),
    Exchange(
        "Coffee next week?",
        (
            "Hi {b},\n\nWould love to catch up next week. Are you around Tuesday morning?\n\n{a}",
            "Tuesday at 10 works. I'll put something on the calendar.\n\n{b}",
        ),
    ),
    Exchange(
        "Weekly pipeline metrics",
        (
            "Hi {b},\n\nAttached are this week's pipeline metrics. Demo-to-trial conversion is up a little; churn is flat.\n\n{a}",
            "Thanks, these look good. I'll use them in Monday's update.\n\n{b}",
        ),
        metrics=True,
    ),
    Exchange(
        "Out of office on {day}",
        (
            "Hi {b},\n\nHeads up: I'm out of office on {day}. Ping me on my phone if anything is on fire.\n\n{a}",
            "Thanks for the heads-up. Enjoy the day off!\n\n{b}",
        ),
    ),
    Exchange(
        "Notes from the {customer} call",
        (
            "Hi {b},\n\nQuick notes from today's {customer} call: they're happy with onboarding so far, want better CSV exports, and asked about EU data residency. I've logged all three on the feedback board.\n\n{a}",
            "Thanks, super useful. EU residency is already live, so I'll send them the docs.\n\n{b}",
        ),
        labels=("Customers",),
    ),
    Exchange(
        "Access request: Salesforce sandbox",
        (
            "Hi {b},\n\nCould you grant me access to the Salesforce sandbox? I need it to test the new integration.\n\n{a}",
            "Done. You should have an invite in your inbox.\n\n{b}",
            "Got it, thanks!\n\n{a}",
        ),
    ),
    Exchange(
        "{customer} login errors",
        (
            "Hi {b},\n\nWe saw intermittent login errors this morning for a few of our users. Timestamps and user IDs below:\n\n09:12 UTC  u_48213\n09:15 UTC  u_48877\n09:31 UTC  u_50112\n\nAnything on your side?\n\n{a}",
            "Thanks for the details. It was a certificate rotation on our side that didn't propagate to one region; it's fixed now and we're adding an alert so it can't happen silently again.\n\n{b}",
            "Confirmed, everyone can sign in again. Thanks for the quick fix.\n\n{a}",
        ),
        external=True,
        labels=("Customers",),
    ),
    Exchange(
        "PO number for invoice {invoice}",
        (
            "Hi {b},\n\nOur accounts payable team needs a PO number on invoice {invoice} before they can pay it. The PO is {po}.\n\nThanks,\n{a}",
            "No problem, I've asked our finance team to reissue it with {po}. You'll have it by tomorrow.\n\n{b}",
            "Received, thanks. It's in the payment run.\n\n{a}",
        ),
        external=True,
        labels=("Customers",),
    ),
    Exchange(
        "Feature request: scheduled exports",
        (
            "Hi {b},\n\nOur finance team would love scheduled exports, e.g. a CSV every Monday at 8am to a shared inbox. Is that on your roadmap?\n\n{a}",
            "Good timing: scheduled exports are part of the export work we're planning this quarter. I've added your use case to the spec and will let you know when it's in beta.\n\n{b}",
            "Great, thank you!\n\n{a}",
        ),
        external=True,
        labels=("Customers",),
    ),
    Exchange(
        "Case study",
        (
            "Hi {b},\n\nThanks for agreeing to the case study. Our writer will send a draft next week for your review; nothing goes out without your approval.\n\n{a}",
            "Sounds good. Our comms team will want to see it too.\n\n{b}",
            "Of course, we'll include them.\n\n{a}",
        ),
        external=True,
        labels=("Customers",),
        person_starts=True,
    ),
    Exchange(
        "Customer quote for the website",
        (
            "Hi {b},\n\nMarketing wants a customer quote for the new homepage. I think the {customer} team would give us a great one. I'll draft something for them to approve.\n\n{a}",
            "Good idea. Their ops lead already said nice things on our last call, so it should be an easy yes.\n\n{b}",
        ),
    ),
    Exchange(
        "Team dinner Thursday",
        (
            "Hi {b},\n\nI booked a table for the team dinner on Thursday at 7pm at Osteria Nonna. Vegetarian options are plentiful.\n\n{a}",
            "Perfect, thanks for organizing! See you there.\n\n{b}",
        ),
    ),
    Exchange(
        "Conference talk proposal",
        (
            'Hi {b},\n\nI submitted our talk proposal for SaaS Connect: "What we learned shipping SSO to 500 customers". Decisions come out in three weeks.\n\n{a}',
            "Fingers crossed! Happy to help with the slides if it's accepted.\n\n{b}",
            "Thanks, I'll take you up on that.\n\n{a}",
        ),
    ),
    Exchange(
        "Handoff: {customer} account notes",
        (
            "Hi {b},\n\nBefore my time off, here are my notes on {customer}: renewal is next quarter, the champion is very responsive, and the open ask is audit log export. Everything else is in Salesforce.\n\n{a}",
            "Got it, thanks for the thorough handoff. I'll keep an eye on it while you're out.\n\n{b}",
        ),
    ),
    Exchange(
        "Reference call for {customer}",
        (
            "Hi {b},\n\nThe {customer} team asked to speak with a reference customer before signing. I've lined up the Initech pilot lead for a 20-minute call next week.\n\n{a}",
            "Great, that should help a lot. Thanks for setting it up.\n\n{b}",
        ),
    ),
    Exchange(
        "Updated pricing page copy",
        (
            "Hi {b},\n\nI updated the pricing page copy with the new seat tiers. Draft: https://docs.google.com/document/d/1pr1c1ngC0py/edit\n\n{a}",
            "Read it, looks clear. One small fix: the Business tier includes SSO, not just SAML. I left a comment.\n\n{b}",
            "Fixed, thanks for catching that.\n\n{a}",
        ),
    ),
    Exchange(
        "Thank you!",
        (
            "Hi {b},\n\nJust wanted to say thanks for jumping in on the {customer} escalation last week. The customer noticed, too.\n\n{a}",
            "Happy to help, it was a team effort.\n\n{b}",
        ),
    ),
    Exchange(
        "Training session recording",
        (
            "Hi {b},\n\nThanks for running the admin training for our team. Here's the feedback: the SSO section was the most useful part, and people want more on reporting.\n\n{a}",
            "Thanks for passing that on! I'll share the recording and a short guide on reporting this week.\n\n{b}",
            "Wonderful, the team will appreciate it.\n\n{a}",
        ),
        external=True,
        labels=("Customers",),
    ),
    Exchange(
        "Renewal paperwork",
        (
            "Hi {b},\n\nThe signed renewal is back from our legal team; you should see it in DocuSign now.\n\nBest,\n{a}",
            "Received, thank you! Countersigned copy is on its way.\n\n{b}",
        ),
        external=True,
        labels=("Customers",),
    ),
    Exchange(
        "Slides from today's session",
        (
            "Hi {b},\n\nAs promised, the slides from today's session are in the shared folder: https://drive.google.com/drive/folders/1acmeShar3d\n\n{a}",
            "Thanks, got them. We'll go through them with the wider team on Monday.\n\n{b}",
        ),
        external=True,
        labels=("Customers",),
        person_starts=True,
    ),
)
