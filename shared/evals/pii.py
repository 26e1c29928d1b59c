"""``contains-pii`` (use it as ``not-contains-pii``): personal data in the text.

Switchyard's own type (promptfoo grades PII with a model; this is deterministic). Each kind is
found by a pattern and then confirmed with a validator, so numbers that merely look right are
not flagged:

==========  =========================================================================
kind        found, then confirmed by
==========  =========================================================================
email       ``local@domain.tld`` (a dotted domain with a 2+ letter TLD)
phone       ``phonenumbers.PhoneNumberMatcher`` at leniency VALID (Google's
            libphonenumber metadata): international ``+...`` numbers, and national ones
            of ``phone_regions`` (default ``["US"]``)
card        13-19 digits (spaces or dashes between groups), a known card-scheme prefix
            (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro) and the Luhn
            checksum (``stdnum.luhn``)
iban        country code, check digits, BBAN; length per country and ISO 13616 mod-97
            checksum (``stdnum.iban``)
ssn         US SSN written ``AAA-GG-SSSS`` (dashes, spaces or dots): area not 000, 666 or
            900-999, group not 00, serial not 0000, and not a known advertising number
            (``stdnum.us.ssn``)
ip          IPv4 dotted quads and IPv6 addresses that ``ipaddress`` accepts
==========  =========================================================================

The value selects kinds: omitted (all), a list such as ``[email, card]``, or
``{kinds: [...], phone_regions: ["DE", "FR"]}``. The result names the kinds found and a masked
sample of each, never the full match.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.us import ssn as stdnum_ssn

from shared.evals.results import AssertionValueError, Check, Outcome

if TYPE_CHECKING:
    from shared.domain.spec import Assertion

PII_KINDS = ("email", "phone", "card", "iban", "ssn", "ip")
DEFAULT_PHONE_REGIONS = ("US",)

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![\w-])"
)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_CARD_PREFIX = re.compile(
    r"4|5[1-5]|2(?:2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|64[4-9]"
    r"|35(?:2[89]|[3-8]\d)|30[0-5]|3[689]|62|5[06-9]|6[0-9]"
)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_SSN = re.compile(r"(?<![\d-])(\d{3})([- .])(\d{2})\2(\d{4})(?![\d-])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])"
)


def _emails(text: str, _regions: tuple[str, ...]) -> Iterator[str]:
    for match in _EMAIL.finditer(text):
        yield match.group()


def _phones(text: str, regions: tuple[str, ...]) -> Iterator[str]:
    seen: set[tuple[int, int]] = set()
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID
        ):
            if (match.start, match.end) not in seen:
                seen.add((match.start, match.end))
                yield match.raw_string


def _cards(text: str, _regions: tuple[str, ...]) -> Iterator[str]:
    for match in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if _CARD_PREFIX.match(digits) and luhn.is_valid(digits):
            yield match.group()


def _ibans(text: str, _regions: tuple[str, ...]) -> Iterator[str]:
    for match in _IBAN.finditer(text):
        compact = match.group().replace(" ", "")
        # The pattern may run into a following code word; try the longest valid prefix.
        for length in range(len(compact), 14, -1):
            if stdnum_iban.is_valid(compact[:length]):
                yield compact[:length]
                break


def _ssns(text: str, _regions: tuple[str, ...]) -> Iterator[str]:
    for match in _SSN.finditer(text):
        if stdnum_ssn.is_valid(f"{match.group(1)}{match.group(3)}{match.group(4)}"):
            yield match.group()


def _ips(text: str, _regions: tuple[str, ...]) -> Iterator[str]:
    for match in _IPV4.finditer(text):
        try:
            ipaddress.IPv4Address(match.group())
        except ValueError:
            continue
        yield match.group()
    for match in _IPV6.finditer(text):
        candidate = match.group()
        if candidate.strip(":") == "":
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        yield candidate


FINDERS: dict[str, Callable[[str, tuple[str, ...]], Iterator[str]]] = {
    "email": _emails,
    "phone": _phones,
    "card": _cards,
    "iban": _ibans,
    "ssn": _ssns,
    "ip": _ips,
}


def mask(value: str) -> str:
    """Enough of a finding for a person to recognise it, never the whole: ``jo…om (14)``."""
    return f"{value[:2]}…{value[-2:]} ({len(value)} chars)" if len(value) > 6 else "…"


def find_pii(
    text: str,
    kinds: tuple[str, ...] = PII_KINDS,
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS,
) -> dict[str, list[str]]:
    """The PII found in ``text``, by kind (only kinds with findings)."""
    found: dict[str, list[str]] = {}
    for kind in kinds:
        matches = list(FINDERS[kind](text, phone_regions))
        if matches:
            found[kind] = matches
    return found


def _options(value: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if value is None:
        return PII_KINDS, DEFAULT_PHONE_REGIONS
    if isinstance(value, list):
        return tuple(value), DEFAULT_PHONE_REGIONS
    return (
        tuple(value.get("kinds") or PII_KINDS),
        tuple(value.get("phone_regions") or DEFAULT_PHONE_REGIONS),
    )


def check_contains_pii(check: Check) -> Outcome:
    """Whether the text holds personal data of the selected kinds."""
    kinds, regions = _options(check.assertion.value)
    found = find_pii(check.output, kinds, regions)
    summary = "; ".join(f"{kind}: {', '.join(mask(m) for m in ms)}" for kind, ms in found.items())
    if check.inverse:
        return Outcome.binary(not found, f"Found personal data ({summary})")
    return Outcome.binary(bool(found), f"Expected personal data ({', '.join(kinds)}), found none")


def validate_pii(assertion: Assertion) -> None:
    """Kinds must be known; phone regions must be ISO 3166 codes libphonenumber knows."""
    kinds: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    value = assertion.value
    if value is None:
        return
    if isinstance(value, list):
        kinds = tuple(value)
    elif isinstance(value, dict) and not set(value) - {"kinds", "phone_regions"}:
        kinds = tuple(value.get("kinds") or ())
        regions = tuple(value.get("phone_regions") or ())
    else:
        raise AssertionValueError(
            '"contains-pii" value must be a list of kinds or {kinds, phone_regions}'
        )
    unknown = [k for k in kinds if k not in PII_KINDS]
    if unknown:
        raise AssertionValueError(f"unknown PII kinds {unknown}; known: {', '.join(PII_KINDS)}")
    supported = phonenumbers.SUPPORTED_REGIONS
    bad = [r for r in regions if r not in supported]
    if bad:
        raise AssertionValueError(f"unknown phone regions {bad} (ISO 3166 codes such as DE)")
