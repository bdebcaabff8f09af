"""Address normalisation and contact keys: the same buyer spelled twice is one contact.

Country names and three-letter codes become ISO 3166-1 alpha-2 codes; postcodes
get their country's format (US ZIP+4, Canadian "A1A 1A1", UK outward/inward);
a name with a company part ("Ana Ruiz c/o Ruiz Imports", "Ruiz Imports LLC")
is split into the person and the company.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

#: Names and alpha-3 codes of the countries marketplaces ship to most, to alpha-2.
COUNTRIES: dict[str, str] = {
    "united states": "US", "united states of america": "US", "usa": "US", "us": "US", "u.s.a.": "US",
    "u.s.": "US", "america": "US", "canada": "CA", "can": "CA", "ca": "CA", "mexico": "MX", "méxico": "MX",
    "mex": "MX", "mx": "MX", "united kingdom": "GB", "great britain": "GB", "uk": "GB", "gbr": "GB", "gb": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB", "ireland": "IE", "irl": "IE",
    "germany": "DE", "deutschland": "DE", "deu": "DE", "france": "FR", "fra": "FR", "spain": "ES", "españa": "ES",
    "esp": "ES", "italy": "IT", "italia": "IT", "ita": "IT", "netherlands": "NL", "the netherlands": "NL",
    "nld": "NL", "australia": "AU", "aus": "AU", "new zealand": "NZ", "nzl": "NZ", "japan": "JP", "jpn": "JP",
    "china": "CN", "chn": "CN", "india": "IN", "ind": "IN", "brazil": "BR", "bra": "BR", "chile": "CL",
    "chl": "CL", "puerto rico": "PR", "pri": "PR",
}  # fmt: skip
#: Words that mark the company part of a name.
COMPANY_MARKERS = re.compile(
    r"\b(inc|inc\.|llc|l\.l\.c\.|ltd|ltd\.|limited|corp|corp\.|corporation|co\.|gmbh|plc|pty|s\.a\.|company|"
    r"group|holdings|enterprises|industries|imports|trading|store|shop)\b",
    re.IGNORECASE,
)
_CARE_OF = re.compile(r"\s+(?:c/o|attn:?|at)\s+", re.IGNORECASE)


def country_code(value: Any) -> str:
    """ISO alpha-2 for a country name or code; unknown values come back trimmed and upper-cased."""
    text = " ".join(str(value or "").split())
    if not text:
        return ""
    return COUNTRIES.get(text.lower(), text.upper() if len(text) == 2 else text)


def postcode(value: Any, country: str) -> str:
    """The postcode in its country's format (unchanged when it does not look like one)."""
    raw = re.sub(r"\s+", "", str(value or "")).upper()
    if country == "US":
        digits = raw.replace("-", "")
        if digits.isdigit() and len(digits) in (5, 9):
            return digits if len(digits) == 5 else f"{digits[:5]}-{digits[5:]}"
        if digits.isdigit() and len(digits) in (3, 4):
            return digits.zfill(5)  # spreadsheets drop the leading zeros of New England ZIPs
    if country == "CA" and re.fullmatch(r"[A-Z]\d[A-Z]\d[A-Z]\d", raw):
        return f"{raw[:3]} {raw[3:]}"
    if country == "GB" and re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}", raw):
        return f"{raw[:-3]} {raw[-3:]}"
    return " ".join(str(value or "").split()).upper() if country in {"CA", "GB"} else " ".join(str(value or "").split())


def split_name(value: Any) -> dict[str, str]:
    """``{"name", "first_name", "last_name", "company"}`` from a free-text recipient name."""
    text = " ".join(str(value or "").split())
    person, company = text, ""
    parts = _CARE_OF.split(text, maxsplit=1)
    if len(parts) == 2:
        first, second = parts
        person, company = (second, first) if COMPANY_MARKERS.search(first) else (first, second)
    elif COMPANY_MARKERS.search(text):
        person, company = "", text
    words = person.split()
    first_name = words[0] if len(words) > 1 else (words[0] if words else "")
    last_name = " ".join(words[1:]) if len(words) > 1 else ""
    return {"name": company or person, "first_name": first_name, "last_name": last_name, "company": company}


def _fold(value: Any) -> str:
    text = unicodedata.normalize("NFKD", str(value or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


def contact_key(name: Any, postal_code: Any, country: Any, *, prefix: str = "") -> str:
    """A stable external id for a buyer without a usable email: the same person at the same postcode."""
    code = country_code(country)
    digest = hashlib.sha256(f"{_fold(name)}|{_fold(postcode(postal_code, code))}|{code}".encode()).hexdigest()
    return f"{prefix}{digest[:16].upper()}"[:50]


def normalise_email(value: Any) -> str:
    return str(value or "").strip().lower()


def xero_address(address: dict[str, Any]) -> dict[str, str]:
    """An address (Walmart's ``postalAddress`` field names or ours) in the accounting system's form."""
    country = country_code(address.get("country"))
    fields = {
        "AddressLine1": address.get("address1") or address.get("line1"),
        "AddressLine2": address.get("address2") or address.get("line2"),
        "City": address.get("city"),
        "Region": str(address.get("state") or address.get("region") or "").upper() or None,
        "PostalCode": postcode(address.get("postalCode") or address.get("postal_code"), country) or None,
        "Country": country or None,
    }
    return {key: " ".join(str(value).split()) for key, value in fields.items() if value}
