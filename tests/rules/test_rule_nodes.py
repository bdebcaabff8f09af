"""Each business-rule node on its own: mapping policies, currency rates, contacts, validation, rounding, book codes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail

from connectors.rules.models import CurrencyRate, FinanceAlert, MappingEntry, MappingTable
from connectors.rules.money import document_total
from connectors.sdk import PermanentError, ReviewRequired, node_types
from connectors.sdk.testing import FakeConnection, FakeContext


def run(type_id: str, item: Any, org: Any, **config: Any) -> Any:
    context = FakeContext(config=config, connection_handle=FakeConnection(kind="xero", base_url="http://x"))
    context.organization_id = org.pk  # type: ignore[attr-defined]
    return node_types.get(type_id).execute(context, item)


@pytest.fixture
def skus(org: Any) -> MappingTable:
    table = MappingTable.objects.create(organization=org, name="SKUs", kind="sku_item", missing_policy="review")
    MappingEntry.objects.bulk_create(
        [MappingEntry(table=table, key="MUG-01", value="MUG"), MappingEntry(table=table, key="TEE-02", value="TEE")]
    )
    return table


ORDER = {"lines": [{"sku": "MUG-01"}, {"sku": "TEE-02"}, {"description": "shipping"}]}
LOOKUP = {"table": "SKUs", "items_path": "lines", "key_field": "sku", "target_field": "item_code", "what": "SKU"}


def test_mapping_writes_values_and_leaves_elements_without_the_key(skus: MappingTable, org: Any) -> None:
    out = run("rules.mapping.lookup", ORDER, org, **LOOKUP)
    assert [line.get("item_code") for line in out["lines"]] == ["MUG", "TEE", None]
    assert "item_code" not in ORDER["lines"][0]  # the input is not changed


def test_missing_keys_go_to_review_all_listed(skus: MappingTable, org: Any) -> None:
    item = {"lines": [{"sku": "X-1"}, {"sku": "MUG-01"}, {"sku": "Y-2"}, {"sku": "X-1"}]}
    with pytest.raises(ReviewRequired) as caught:
        run("rules.mapping.lookup", item, org, **LOOKUP)
    assert "'X-1', 'Y-2'" in caught.value.message and "SKUs" in caught.value.message
    assert caught.value.details["keys"] == ["X-1", "Y-2"]
    assert caught.value.field == "input.lines[0].sku"


def test_default_and_fail_policies(skus: MappingTable, org: Any) -> None:
    MappingTable.objects.filter(pk=skus.pk).update(missing_policy="default", default_value="MISC")
    out = run("rules.mapping.lookup", {"lines": [{"sku": "X-1"}]}, org, **LOOKUP)
    assert out["lines"][0]["item_code"] == "MISC"
    MappingTable.objects.filter(pk=skus.pk).update(missing_policy="default", default_value="")
    with pytest.raises(ReviewRequired):  # a default policy without a default never invents a value
        run("rules.mapping.lookup", {"lines": [{"sku": "X-1"}]}, org, **LOOKUP)
    MappingTable.objects.filter(pk=skus.pk).update(missing_policy="fail")
    with pytest.raises(PermanentError) as caught:
        run("rules.mapping.lookup", {"lines": [{"sku": "X-1"}]}, org, **LOOKUP)
    assert caught.value.code == "rules.mapping_missing"


def test_reverse_lookup_by_table_id_and_unknown_table(skus: MappingTable, org: Any) -> None:
    out = run(
        "rules.mapping.lookup", {"item_code": "TEE"}, org,
        table=str(skus.pk), items_path="", key_field="item_code", target_field="sku", reverse=True,
    )  # fmt: skip
    assert out["sku"] == "TEE-02"
    with pytest.raises(PermanentError) as caught:
        run("rules.mapping.lookup", ORDER, org, **{**LOOKUP, "table": "Nope"})
    assert caught.value.field == "config.table"


def test_mapping_tables_are_offered_as_options(skus: MappingTable, org: Any) -> None:
    choices = node_types.get("rules.mapping.lookup").options("table", None, {"_organization_id": org.pk})
    assert choices == [{"value": "SKUs", "label": "SKUs (sku_item)"}]
    assert node_types.get("rules.mapping.lookup").options("table", None, {}) == []


def _rate(org: Any, day: str, pair: tuple[str, str], rate: str, source: str = "ECB") -> None:
    CurrencyRate.objects.create(
        organization=org, date=dt.date.fromisoformat(day), from_currency=pair[0], to_currency=pair[1],
        rate=Decimal(rate), source=source,
    )  # fmt: skip


def test_currency_rate_uses_the_latest_day_and_records_it(org: Any) -> None:
    _rate(org, "2026-11-27", ("USD", "CAD"), "1.3901")  # Friday
    _rate(org, "2026-11-20", ("USD", "CAD"), "1.2000")
    out = run("rules.currency.rate", {"currency_code": "CAD", "date": "2026-11-29"}, org, base_currency="USD")
    assert out["currency_rate"] == "1.390100"
    assert out["currency_rate_info"] == {"date": "2026-11-27", "source": "ECB", "pair": "USD/CAD", "inverted": False}
    same = {"currency_code": "USD", "date": "2026-11-29"}
    assert run("rules.currency.rate", same, org, base_currency="USD") == same


def test_currency_rate_inverts_and_never_defaults_to_one(org: Any) -> None:
    _rate(org, "2026-11-27", ("MXN", "USD"), "0.05")
    out = run("rules.currency.rate", {"currency_code": "MXN", "date": "2026-11-27"}, org, base_currency="USD")
    assert out["currency_rate"] == "20.000000" and out["currency_rate_info"]["inverted"] is True
    with pytest.raises(ReviewRequired) as caught:
        run("rules.currency.rate", {"currency_code": "EUR", "date": "2026-11-27"}, org, base_currency="USD")
    assert "no USD→EUR rate for 2026-11-27" in caught.value.message
    with pytest.raises(PermanentError):  # too old for max_age_days
        run(
            "rules.currency.rate", {"currency_code": "MXN", "date": "2026-12-05"}, org,
            base_currency="USD", max_age_days=3, missing_policy="fail",
        )  # fmt: skip


def test_contact_normalisation(org: Any) -> None:
    item = {
        "buyer": {
            "name": "Ana  Ruiz c/o Ruiz Imports LLC", "email": " Ana@Example.COM",
            "address": {"address1": "77 Elm St", "city": "Austin", "state": "tx", "postalCode": "787011100",
                        "country": "United States of America"},
        }
    }  # fmt: skip
    config = {"name_field": "buyer.name", "email_field": "buyer.email", "address_field": "buyer.address"}
    out = run("rules.contact.normalise", item, org, **config)
    assert (out["name"], out["first_name"], out["last_name"], out["company"]) == (
        "Ruiz Imports LLC", "Ana", "Ruiz", "Ruiz Imports LLC",
    )  # fmt: skip
    assert out["email"] == "ana@example.com"
    assert out["address"] == {
        "AddressLine1": "77 Elm St", "City": "Austin", "Region": "TX", "PostalCode": "78701-1100", "Country": "US",
    }  # fmt: skip
    again = {
        "buyer": {
            **item["buyer"],
            "address": {**item["buyer"]["address"], "postalCode": "78701-1100", "country": "USA"},
        }
    }
    assert run("rules.contact.normalise", again, org, **config)["external_id"] == out["external_id"]
    assert out["external_id"].startswith("WM-") and len(out["external_id"]) <= 50


def test_address_helpers() -> None:
    from connectors.rules.address import country_code, postcode, split_name

    assert [country_code(v) for v in ("USA", "united states", "Deutschland", "gb", "Narnia")] == [
        "US", "US", "DE", "GB", "Narnia",
    ]  # fmt: skip
    assert postcode("2108", "US") == "02108"
    assert postcode("k1a0b1", "CA") == "K1A 0B1"
    assert postcode("sw1a1aa", "GB") == "SW1A 1AA"
    assert split_name("Acme Trading Ltd")["company"] == "Acme Trading Ltd"
    assert split_name("Kathryn Cole") == {
        "name": "Kathryn Cole",
        "first_name": "Kathryn",
        "last_name": "Cole",
        "company": "",
    }


def test_validation_routes_review_and_fail(org: Any) -> None:
    checks = [
        {"problem": "$not($exists(address))", "outcome": "fail", "reason": "no shipping address"},
        {"problem": "sku = ''", "outcome": "review", "reason": "empty SKU"},
    ]
    with pytest.raises(PermanentError, match="no shipping address"):
        run("rules.validate", {"sku": "A"}, org, checks=checks)
    with pytest.raises(ReviewRequired, match="empty SKU"):
        run("rules.validate", {"sku": "", "address": {}}, org, checks=checks)
    assert run("rules.validate", {"sku": "A", "address": {}}, org, checks=checks) == {"sku": "A", "address": {}}


RATES = [{"value": "TAX001", "label": "NY", "rate": "8.875"}, {"value": "NONE", "label": "Exempt", "rate": "0"}]


@pytest.fixture
def books(monkeypatch: pytest.MonkeyPatch) -> None:
    choices = {
        "tax_rate": RATES,
        "tax_type": [{"value": r["value"], "label": r["label"]} for r in RATES],
        "account_code": [{"value": c, "label": c} for c in ("200", "4100", "4900")],
    }
    fake = lambda connection, source, name: choices[name]  # noqa: E731
    monkeypatch.setattr("connectors.rules.nodes.accounting.remote_choices", fake)


def test_xero_rounding_differs_by_a_cent_and_a_rounding_line_makes_it_explicit(books: None, org: Any) -> None:
    # 2 x 6.25 - 0.63 discount = 11.87; Xero: tax 1.05 (1.0534...) ; Walmart taxed 12.50 and -0.63 apart: 1.11 - 0.06.
    lines = [
        {"quantity": "2", "unit_amount": "6.25", "discount_amount": "0.63", "tax_type": "TAX001", "account_code": "200"}
    ]
    assert document_total(lines, "Exclusive", {"TAX001": Decimal("8.875")}) == Decimal("12.92")
    item = {"lines": lines, "expected_total": "12.92", "line_amount_types": "Exclusive"}
    assert run("rules.money.balance", item, org, rounding_account="4900")["rounding"] == "0.00"
    out = run("rules.money.balance", {**item, "expected_total": "12.93"}, org, rounding_account="4900")
    assert out["rounding"] == "0.01"
    assert out["lines"][-1] == {"description": "Rounding", "quantity": "1", "unit_amount": "0.01",
                                "account_code": "4900", "tax_type": "NONE"}  # fmt: skip
    assert document_total(out["lines"], "Exclusive", {"TAX001": Decimal("8.875")}) == Decimal("12.93")
    with pytest.raises(PermanentError, match=r"more than the 0\.05 rounding tolerance"):
        run("rules.money.balance", {**item, "expected_total": "13.92"}, org, rounding_account="4900")


def test_missing_book_codes_alert_finance_once_and_dead_letter(books: None, org: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    item = {"lines": [{"account_code": "999", "tax_type": "TAX001"}, {"account_code": "200", "tax_type": "TAXZZ"}]}
    for _ in range(2):
        with pytest.raises(PermanentError) as caught:
            run("rules.books.check_codes", item, org, finance_emails=["finance@example.com"])
    assert "account code 999" in caught.value.message and "tax type TAXZZ" in caught.value.message
    assert FinanceAlert.objects.count() == 2  # one per missing code, not one per run
    assert len(mail.outbox) == 2 and mail.outbox[0].to == ["finance@example.com"]
    assert run("rules.books.check_codes", {"lines": [{"account_code": "200"}]}, org) == {
        "lines": [{"account_code": "200"}]
    }
