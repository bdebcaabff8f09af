"""The Xero sandbox's state: OAuth clients and tokens, one organisation's books, limits, faults.

In memory, one store per process, guarded by a lock; ``reset()`` re-seeds it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.sdk.sandbox_kit import Faults

CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
TENANT_ID = "8a7c3f1e-4b2d-4c6a-9e1f-2d3b4c5d6e7f"
ORGANISATION_NAME = "Demo Company (US)"
ACCESS_TOKEN_SECONDS = 1800


@dataclass
class Limits:
    per_minute: int = 60
    per_day: int = 5000
    concurrent: int = 5
    app_per_minute: int = 10_000


def _accounts() -> list[dict[str, Any]]:
    rows = [
        ("090", "Business Bank Account", "BANK"),
        ("1200", "Walmart Clearing", "BANK"),
        ("200", "Sales", "REVENUE"),
        ("260", "Other Revenue", "REVENUE"),
        ("4100", "Shipping Income", "REVENUE"),
        ("4900", "Rounding", "EXPENSE"),
        ("400", "Advertising", "EXPENSE"),
        ("404", "Bank Fees", "EXPENSE"),
        ("310", "Cost of Goods Sold", "DIRECTCOSTS"),
        ("610", "Accounts Receivable", "CURRENT"),
        ("630", "Inventory", "INVENTORY"),
        ("800", "Accounts Payable", "CURRLIAB"),
        ("820", "Sales Tax", "CURRLIAB"),
    ]
    return [
        {
            "AccountID": str(uuid.uuid5(uuid.NAMESPACE_OID, code)),
            "Code": code,
            "Name": name,
            "Type": kind,
            "Status": "ACTIVE",
            "EnablePaymentsToAccount": kind == "BANK",
            **({"BankAccountType": "BANK"} if kind == "BANK" else {}),
        }
        for code, name, kind in rows
    ]


def _tax_rates() -> list[dict[str, Any]]:
    rows = [
        ("Tax Exempt", "NONE", "0"),
        ("Sales Tax on Imports", "GSTONIMPORTS", "0"),
        ("NY Sales Tax", "TAX001", "8.875"),
        ("CA Sales Tax", "TAX002", "7.25"),
        ("TX Sales Tax", "TAX003", "6.25"),
        ("WA Sales Tax", "TAX004", "6.5"),
        ("IL Sales Tax", "TAX005", "6.25"),
        ("Marketplace Facilitator (no tax)", "OUTPUT", "0"),
    ]
    return [
        {
            "Name": name,
            "TaxType": tax_type,
            "Status": "ACTIVE",
            "EffectiveRate": Decimal(rate),
            "DisplayTaxRate": Decimal(rate),
            "CanApplyToRevenue": True,
            "TaxComponents": [{"Name": name, "Rate": Decimal(rate), "IsCompound": False}],
        }
        for name, tax_type, rate in rows
    ]


def _items() -> list[dict[str, Any]]:
    skus = [
        ("MUG", "Stoneware Mug 12oz", "12.50"),
        ("TEE", "Organic Cotton T-Shirt", "19.99"),
        ("BAG", "Canvas Tote Bag", "24.00"),
        ("LAMP", "Desk Lamp LED", "39.95"),
        ("BOTTLE", "Insulated Bottle 750ml", "29.00"),
        ("SOCK", "Wool Socks (2 pack)", "14.49"),
    ]
    return [
        {
            "ItemID": str(uuid.uuid5(uuid.NAMESPACE_OID, f"item-{code}")),
            "Code": code,
            "Name": name,
            "IsSold": True,
            "IsPurchased": True,
            "IsTrackedAsInventory": True,
            "InventoryAssetAccountCode": "630",
            "QuantityOnHand": Decimal(100),
            "TotalCostPool": Decimal(500),
            "SalesDetails": {"UnitPrice": Decimal(price), "AccountCode": "200", "TaxType": "OUTPUT"},
            "UpdatedDateUTC": time.time(),
        }
        for code, name, price in skus
    ]


def _tracking() -> list[dict[str, Any]]:
    category = str(uuid.uuid5(uuid.NAMESPACE_OID, "sales-channel"))
    options = [
        {"TrackingOptionID": str(uuid.uuid5(uuid.NAMESPACE_OID, o)), "Name": o, "Status": "ACTIVE"}
        for o in ("Walmart Marketplace", "Amazon")
    ]
    return [{"TrackingCategoryID": category, "Name": "Sales Channel", "Status": "ACTIVE", "Options": options}]


@dataclass
class Books:
    """One organisation's records."""

    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    credit_notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: list[dict[str, Any]] = field(default_factory=_accounts)
    tax_rates: list[dict[str, Any]] = field(default_factory=_tax_rates)
    items: list[dict[str, Any]] = field(default_factory=_items)
    tracking: list[dict[str, Any]] = field(default_factory=_tracking)
    currencies: list[dict[str, str]] = field(
        default_factory=lambda: [
            {"Code": c, "Description": d}
            for c, d in [
                ("USD", "United States Dollar"),
                ("CAD", "Canadian Dollar"),
                ("GBP", "British Pound"),
                ("EUR", "Euro"),
                ("MXN", "Mexican Peso"),
            ]
        ]
    )
    invoice_counter: int = 0
    credit_note_counter: int = 0
    # InvoiceNumber -> ids of the invoices stored under it (a number changed later leaves a stale
    # id behind: readers check the record). Uniqueness checks scanned every invoice per element.
    invoice_ids_by_number: dict[str, set[str]] = field(default_factory=dict)

    def invoices_numbered(self, number: Any) -> list[dict[str, Any]]:
        """The stored invoices whose InvoiceNumber is ``number`` (none for an empty number)."""
        if not number:
            return []
        found = (self.invoices.get(invoice_id) for invoice_id in self.invoice_ids_by_number.get(str(number), ()))
        return [i for i in found if i is not None and i.get("InvoiceNumber") == number]


@dataclass
class XeroStore:
    lock: threading.RLock = field(default_factory=threading.RLock)
    books: Books = field(default_factory=Books)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_tokens: dict[str, float] = field(default_factory=dict)
    refresh_tokens: dict[str, bool] = field(default_factory=dict)
    idempotency: dict[str, tuple[str, int, Any]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    limits: Limits = field(default_factory=Limits)
    minute_calls: deque[float] = field(default_factory=deque)
    day_calls: int = 0
    in_flight: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    refreshes: int = 0
    throttled: int = 0
    #: Calls over a published limit, or made before a Retry-After the sandbox gave had passed.
    violations: int = 0
    #: The end of the last rate-limit storm's Retry-After (epoch seconds).
    retry_not_before: float = 0.0
    access_token_seconds: int = ACCESS_TOKEN_SECONDS

    def reset(self) -> None:
        with self.lock:
            fresh = XeroStore()
            for name in (
                "books",
                "codes",
                "access_tokens",
                "refresh_tokens",
                "idempotency",
                "faults",
                "limits",
                "minute_calls",
                "calls",
                "access_token_seconds",
            ):
                setattr(self, name, getattr(fresh, name))
            self.day_calls = self.in_flight = self.refreshes = self.throttled = self.violations = 0
            self.retry_not_before = 0.0


STORE = XeroStore()
