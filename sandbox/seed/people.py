"""Who lives in the seeded sandbox: Acme's accounts, their customers and partners, and mail groups.

Only the accounts become `Person`s (they can sign in and own a mailbox and calendars); everyone
else is a `Contact` who shows up in mail, calendars and meetings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sandbox.seed.common import digits, hex_token
from sandbox.world import Person

DOMAIN = "acme.example"

ALICE = "alice@acme.example"
BEN = "ben@acme.example"
CARMEN = "carmen@acme.example"
DIETER = "dieter@acme.example"
EMI = "emi@acme.example"
FRANK = "frank@acme.example"
SAM = "sam.rivera@gmail.example"  # a consumer Google account: no hd claim
JORDAN = "jordan@contractor.example"  # an account whose email Google has not verified

PRIYA = "priya.raman@globex.example"
TOM = "tom.becker@globex.example"
RAJ = "raj.patel@initech.example"
MAYA = "maya.lindqvist@initech.example"
LENA = "lena.fischer@vandelay.example"
OWEN = "owen.park@hooli.example"
JESS = "jess.moreau@hooli.example"
HANNAH = "hannah.cole@brightwater-legal.example"
NADIA = "nadia.hassan@fastmail.example"
TESSA = "tessa@acme.example"  # a colleague without a sandbox account
PEOPLE_OPS = "people@acme.example"
ALEX = "alex.kim@gmail.example"
LINDA = "linda.rivera@gmail.example"
SAMANTHA = "samantha.reyes@globex.example"  # known only to the People API: a saved contact
SAM_WHITAKER = "sam.whitaker@acme.example"  # known only to the People API: in Acme's directory

ALL_HANDS = "all@acme.example"
PRODUCT_LIST = "product@acme.example"
SALES_LIST = "sales@acme.example"


@dataclass(frozen=True)
class Contact:
    """Anyone who appears in the seeded data."""

    name: str
    email: str
    title: str
    org: str
    time_zone: str

    @property
    def first(self) -> str:
        """The given name, for greetings."""
        return self.name.split()[0]

    @property
    def domain(self) -> str:
        """The part after the @."""
        return self.email.rpartition("@")[2]


@dataclass(frozen=True)
class Account:
    """A sandbox account's fixed traits; secrets and subs are drawn from the seed."""

    contact: Contact
    team: str | None = None
    has_fathom_key: bool = False
    workspace: bool = True
    verified: bool = True


def _c(name: str, email: str, title: str, org: str, time_zone: str) -> Contact:
    return Contact(name, email, title, org, time_zone)


ACCOUNTS: tuple[Account, ...] = (
    Account(_c("Alice Nguyen", ALICE, "Director of Product", "Acme", "America/New_York"), "Product", True),
    Account(_c("Ben Okafor", BEN, "Account Executive", "Acme", "Europe/London"), "Sales", True),
    Account(_c("Carmen Ruiz", CARMEN, "Staff Engineer", "Acme", "America/Los_Angeles"), "Product", True),
    Account(_c("Dieter Köhler", DIETER, "Solutions Engineer", "Acme", "Europe/Berlin"), "Sales", True),
    Account(_c("Emi Tanaka", EMI, "Product Designer", "Acme", "Asia/Tokyo"), "Product", False),
    Account(_c("Frank Doyle", FRANK, "VP of Sales", "Acme", "America/Chicago"), "Sales", True),
    Account(_c("Sam Rivera", SAM, "", "", "America/Denver"), workspace=False),
    Account(_c("Jordan Blake", JORDAN, "Contractor", "", "Australia/Sydney"), workspace=False, verified=False),
)

ACCOUNT_EMAILS: tuple[str, ...] = tuple(account.contact.email for account in ACCOUNTS)
WORKSPACE_EMAILS: tuple[str, ...] = tuple(a.contact.email for a in ACCOUNTS if a.workspace)

OTHERS: tuple[Contact, ...] = (
    _c("Priya Raman", PRIYA, "VP Operations", "Globex", "America/Chicago"),
    _c("Tom Becker", TOM, "IT Director", "Globex", "America/Chicago"),
    _c("Raj Patel", RAJ, "Engineering Manager", "Initech", "America/Toronto"),
    _c("Maya Lindqvist", MAYA, "Procurement Lead", "Initech", "America/Toronto"),
    _c("Lena Fischer", LENA, "Partner Manager", "Vandelay Industries", "Europe/Zurich"),
    _c("Owen Park", OWEN, "Head of Revenue Operations", "Hooli", "America/Los_Angeles"),
    _c("Jess Moreau", JESS, "Sales Operations Analyst", "Hooli", "America/Los_Angeles"),
    _c("Hannah Cole", HANNAH, "Counsel", "Brightwater Legal", "America/New_York"),
    _c("Nadia Hassan", NADIA, "", "", "America/New_York"),
    _c("Tessa Morgan", TESSA, "Recruiter", "Acme", "America/New_York"),
    _c("Acme People Ops", PEOPLE_OPS, "", "Acme", "America/New_York"),
    _c("Alex Kim", ALEX, "", "", "America/Denver"),
    _c("Linda Rivera", LINDA, "", "", "America/Phoenix"),
)

_GROUP_CONTACTS = (
    _c("Everyone at Acme", ALL_HANDS, "", "Acme", "America/New_York"),
    _c("Product team", PRODUCT_LIST, "", "Acme", "America/New_York"),
    _c("Sales team", SALES_LIST, "", "Acme", "America/New_York"),
)
CONTACTS: dict[str, Contact] = {c.email: c for c in (*(a.contact for a in ACCOUNTS), *OTHERS, *_GROUP_CONTACTS)}

# Google Groups: mail to the group lands in every member's mailbox.
GROUPS: dict[str, tuple[str, ...]] = {
    ALL_HANDS: WORKSPACE_EMAILS,
    PRODUCT_LIST: (ALICE, CARMEN, EMI),
    SALES_LIST: (BEN, DIETER, FRANK),
}

# Only the People API knows these: another Globex contact, and a colleague who has no account.
PEOPLE_ONLY: tuple[Contact, ...] = (
    _c("Samantha Reyes", SAMANTHA, "Account Director", "Globex", "America/Chicago"),
    _c("Sam Whitaker", SAM_WHITAKER, "Support Lead", "Acme", "America/New_York"),
)
# Each account's saved contacts (Google Contacts), by address. Other contacts come from their sent mail.
SAVED_CONTACTS: dict[str, tuple[str, ...]] = {
    ALICE: (PRIYA, RAJ, HANNAH, LENA, SAMANTHA, SAM),
    BEN: (OWEN, JESS, MAYA, PRIYA),
    CARMEN: (RAJ,),
    FRANK: (OWEN, PRIYA, TOM),
    SAM: (ALEX, LINDA),
}
# The Workspace directory beyond the accounts: colleagues without a sandbox account.
DIRECTORY_ONLY: tuple[str, ...] = (TESSA, SAM_WHITAKER)

TEAMS: dict[str, str] = {a.contact.email: a.team for a in ACCOUNTS if a.team is not None}


def contact(email: str) -> Contact:
    """The contact behind an address (every seeded address is known)."""
    return CONTACTS[email]


def build_people(rng: random.Random) -> dict[str, Person]:
    """The sandbox accounts as `Person`s, with subs and Fathom keys drawn from `rng`."""
    people: dict[str, Person] = {}
    for account in ACCOUNTS:
        c = account.contact
        key = None
        if account.has_fathom_key:
            key = f"fathom-sbx-{c.email.partition('@')[0]}-{hex_token(rng, 16)}"
        else:
            rng.getrandbits(64)  # keep later draws stable whether or not a key is issued
        people[c.email] = Person(
            email=c.email,
            name=c.name,
            sub="1" + digits(rng, 20),
            time_zone=c.time_zone,
            hd=DOMAIN if account.workspace else None,
            email_verified=account.verified,
            fathom_key=key,
            fathom_team=account.team,
            title=c.title,
        )
    return people
