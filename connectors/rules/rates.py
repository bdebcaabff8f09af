"""Daily currency rates: finding the rate for a document date, and importing rates from CSV.

A rate row says 1 ``from_currency`` = ``rate`` ``to_currency`` on ``date``. Xero's
``CurrencyRate`` is the number of document-currency units per unit of the
organisation's base currency, so a CAD invoice in a USD organisation needs the
USD→CAD rate; a stored CAD→USD row is inverted (and says so).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from connectors.rules.models import CurrencyRate

#: Digits Xero keeps on a currency rate.
RATE_PLACES = Decimal("0.000001")
CSV_COLUMNS = ("date", "from_currency", "to_currency", "rate", "source")


@dataclass(frozen=True)
class FoundRate:
    rate: Decimal
    #: The day the rate was published for (may be before the document date: weekends, holidays).
    date: dt.date
    source: str
    inverted: bool


def find_rate(organization_id: int, base: str, currency: str, on: dt.date, *, max_age_days: int) -> FoundRate | None:
    """The latest rate base→currency on or before ``on`` and at most ``max_age_days`` older; None if none."""
    earliest = on - dt.timedelta(days=max_age_days)
    rows = CurrencyRate.objects.filter(organization_id=organization_id, date__lte=on, date__gte=earliest)
    direct = rows.filter(from_currency=base, to_currency=currency).order_by("-date").first()
    inverse = rows.filter(from_currency=currency, to_currency=base).order_by("-date").first()
    if direct is not None and (inverse is None or direct.date >= inverse.date):
        return FoundRate(Decimal(direct.rate).quantize(RATE_PLACES), direct.date, direct.source, False)
    if inverse is not None:
        rate = (Decimal(1) / Decimal(inverse.rate)).quantize(RATE_PLACES)
        return FoundRate(rate, inverse.date, inverse.source, True)
    return None


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def currency_code(value: str, name: str) -> str:
    """An upper-cased ISO 4217 code.

    Raises:
        ValueError: not three letters (the message names ``name``).
    """
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"{name} {value!r} is not a three-letter ISO 4217 code")
    return code


def parse_row(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row as model fields.

    Raises:
        ValueError: what is wrong with the row, for a person.
    """
    missing = [name for name in CSV_COLUMNS[:4] if not (row.get(name) or "").strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    try:
        date = dt.date.fromisoformat(row["date"].strip())
    except ValueError:
        raise ValueError(f"date {row['date']!r} is not YYYY-MM-DD") from None
    try:
        rate = Decimal(row["rate"].strip())
    except InvalidOperation:
        raise ValueError(f"rate {row['rate']!r} is not a number") from None
    if not rate.is_finite() or rate <= 0:
        raise ValueError(f"rate {row['rate']!r} must be greater than zero")
    source = currency_code(row["from_currency"], "from_currency")
    target = currency_code(row["to_currency"], "to_currency")
    if source == target:
        raise ValueError("from_currency and to_currency are the same")
    return {"date": date, "from_currency": source, "to_currency": target, "rate": rate, "source": row.get("source")}


def import_csv(organization_id: int, content: bytes, *, filename: str = "upload.csv") -> ImportReport:
    """Import ``date,from_currency,to_currency,rate[,source]`` rows (a header line is required).

    Good rows are saved (a rate for the same day and pair is replaced); every bad
    row is reported with its line number and nothing of it is saved. A row
    without a source gets ``csv:<filename>``.
    """
    report = ImportReport()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append({"line": 0, "message": "the file is not UTF-8 text"})
        return report
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    absent = [name for name in CSV_COLUMNS[:4] if name not in header]
    if absent:
        report.errors.append(
            {"line": 1, "message": f"the header must name {', '.join(CSV_COLUMNS[:4])} (missing {', '.join(absent)})"}
        )
        return report
    reader.fieldnames = header
    with transaction.atomic():
        for row in reader:
            line = reader.line_num
            try:
                fields = parse_row({k: v or "" for k, v in row.items() if k})
            except ValueError as exc:
                report.errors.append({"line": line, "message": str(exc)})
                continue
            CurrencyRate.objects.update_or_create(
                organization_id=organization_id,
                date=fields["date"],
                from_currency=fields["from_currency"],
                to_currency=fields["to_currency"],
                defaults={"rate": fields["rate"], "source": (fields["source"] or f"csv:{filename}")[:200]},
            )
            report.imported += 1
    return report
