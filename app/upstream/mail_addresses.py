"""Email addresses that came from a model or from someone else's mail: which are plain, and which may enter a search.

An address written by an outsider (a Reply-To, a guest list, a Fathom invitee) or by a model that
read such text is never pasted into a Gmail query as it came: RFC 5322 allows `{`, `}`, `-` and
quotes in a local part, and any of them can turn a search into one that matches other mail. So an
address is first reduced to its plain form (`local@domain`, dot-atom local part, host-name domain,
lower-cased), and only an address made of the few characters Gmail's query syntax treats as part
of a word may become a search term. Whatever a search finds is then checked against the parsed
headers of the messages it returned: a search only proposes, the exact match decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.utils import getaddresses

MAX_ADDRESS = 254  # RFC 5321 §4.5.3.1.3: the longest path an address may take
MAX_LOCAL = 64
# RFC 5322 §3.2.3 atext and §3.4.1 dot-atom local part: no quoted strings, no comments.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
# RFC 1035 host names: letter-digit-hyphen labels, at least two, the last one not all digits
# (no IP literals, no dotless hosts).
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+(?=[a-z0-9-]*[a-z])(?:{_LABEL})")
# Characters Gmail's query parser reads as part of one word: a term built only of these cannot
# open a group, a phrase, an OR or a negation.
_SEARCHABLE = re.compile(r"[a-z0-9](?:[a-z0-9._+]|-(?=[a-z0-9]))*@(?:[a-z0-9-]+\.)+[a-z0-9-]+")


def plain_address(value: str) -> str | None:
    """`value` as a plain, lower-cased `local@domain` when it is exactly one such address, else None.

    A display name, a quoted or commented local part, an IP literal, a dotless domain, white space or
    any character outside ASCII all make it not plain.
    """
    address = value.strip().lower()
    if len(address) > MAX_ADDRESS or not address.isascii():
        return None
    local, at, domain = address.rpartition("@")
    if not at or len(local) > MAX_LOCAL or not _LOCAL.fullmatch(local) or not _DOMAIN.fullmatch(domain):
        return None
    return address


def plain_domain(value: str) -> str | None:
    """`value` as a lower-cased host name (`globex.com`, a leading `@` allowed), else None."""
    domain = value.strip().removeprefix("@").lower()
    return domain if len(domain) <= MAX_ADDRESS and domain.isascii() and _DOMAIN.fullmatch(domain) else None


def header_addresses(values: Iterable[str]) -> set[str]:
    """The plain addresses in header values such as To and Cc, as Google returned them; others are left out."""
    found = (plain_address(address) for _name, address in getaddresses(list(values)))
    return {address for address in found if address is not None}


def sent_to_query(address: str) -> str | None:
    """A Gmail search for mail the person sent to `address` (To, Cc or Bcc), or None when `address` is not plain
    or holds characters a query could read as syntax — then no search may stand for it."""
    plain = plain_address(address)
    if plain is None or not _SEARCHABLE.fullmatch(plain):
        return None
    return f"in:sent to:{plain}"


def any_of_query(addresses: Iterable[str], operators: tuple[str, ...] = ("from", "to")) -> str | None:
    """A Gmail OR-group of `operator:address` terms for the searchable plain addresses among `addresses`,
    or None when none is searchable."""
    plain = [a for a in (plain_address(value) for value in addresses) if a is not None and _SEARCHABLE.fullmatch(a)]
    if not plain:
        return None
    return "{" + " ".join(f"{operator}:{a}" for a in dict.fromkeys(plain) for operator in operators) + "}"
