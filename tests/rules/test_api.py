"""The business-rules REST API: mapping tables, currency rates with CSV import, the reconciliation report."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from connectors.rules.models import CurrencyRate, MappingTable
from orgs.models import Organization

TABLE = {
    "name": "SKUs",
    "kind": "sku_item",
    "default_value": "",
    "missing_policy": "review",
    "entries": [{"key": "MUG-01", "value": "MUG"}, {"key": "TEE-02", "value": "TEE"}],
}


def test_mapping_table_crud_and_entries_replaced(api: Any) -> None:
    created = api.post("/api/mapping-tables/", TABLE, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body == {**TABLE, "id": body["id"]}
    url = f"/api/mapping-tables/{body['id']}/"
    patched = api.patch(url, {"entries": [{"key": "BAG-03", "value": "BAG"}], "missing_policy": "fail"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["entries"] == [{"key": "BAG-03", "value": "BAG"}]
    assert patched.json()["missing_policy"] == "fail"
    assert api.patch(url, {"name": "Items"}, format="json").json()["entries"] == [{"key": "BAG-03", "value": "BAG"}]
    assert [t["name"] for t in api.get("/api/mapping-tables/").json()["results"]] == ["Items"]
    assert api.delete(url).status_code == 204
    assert not MappingTable.objects.exists()


def test_mapping_table_field_errors(api: Any) -> None:
    api.post("/api/mapping-tables/", TABLE, format="json")
    bad = api.post(
        "/api/mapping-tables/",
        {**TABLE, "missing_policy": "guess", "entries": [{"key": "A", "value": "1"}, {"key": "A", "value": "2"}]},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()) >= {"name", "missing_policy", "entries"}
    no_default = api.post("/api/mapping-tables/", {**TABLE, "name": "T2", "missing_policy": "default"}, format="json")
    assert no_default.status_code == 400 and "default_value" in no_default.json()


def test_tables_and_rates_are_scoped_to_the_organisation(api: Any) -> None:
    other = Organization.objects.create(name="Other", slug="other")
    theirs = MappingTable.objects.create(organization=other, name="Theirs")
    CurrencyRate.objects.create(organization=other, date="2026-12-01", from_currency="USD", to_currency="CAD", rate=1)
    assert api.get("/api/mapping-tables/").json()["results"] == []
    assert api.get(f"/api/mapping-tables/{theirs.pk}/").status_code == 404
    assert api.get("/api/currency-rates/").json()["results"] == []


def test_currency_rates_create_and_validate(api: Any) -> None:
    rate = {"date": "2026-12-01", "from_currency": "usd", "to_currency": "CAD", "rate": "1.3912", "source": "ECB"}
    created = api.post("/api/currency-rates/", rate, format="json")
    assert created.status_code == 201, created.json()
    assert {k: v for k, v in created.json().items() if k != "id"} == {**rate, "from_currency": "USD"}
    again = api.post("/api/currency-rates/", rate, format="json")
    assert again.status_code == 400 and "date" in again.json()
    bad = api.post("/api/currency-rates/", {**rate, "from_currency": "US", "rate": "-1"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) >= {"from_currency", "rate"}


def test_rates_csv_import_reports_each_bad_line(api: Any) -> None:
    content = (
        b"date,from_currency,to_currency,rate,source\n"
        b"2026-12-01,USD,CAD,1.3912,ECB\n"
        b"2026-12-01,USD,MXN,17.2,\n"
        b"01/12/2026,USD,EUR,0.95,ECB\n"
        b"2026-12-02,USD,CAD,-1,ECB\n"
        b"2026-12-02,USD,USD,1,ECB\n"
        b"2026-12-02,USD,,1.2,ECB\n"
    )
    answer = api.post(
        "/api/currency-rates/import/", {"file": SimpleUploadedFile("rates.csv", content)}, format="multipart"
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["imported"] == 2
    assert [e["line"] for e in body["errors"]] == [4, 5, 6, 7]
    assert "YYYY-MM-DD" in body["errors"][0]["message"] and "missing to_currency" in body["errors"][3]["message"]
    assert CurrencyRate.objects.get(to_currency="MXN").source == "csv:rates.csv"
    header = api.post(
        "/api/currency-rates/import/", {"file": SimpleUploadedFile("r.csv", b"day,rate\n")}, format="multipart"
    )
    assert header.json() == {"imported": 0, "errors": [{"line": 1, "message": header.json()["errors"][0]["message"]}]}
    assert "missing date, from_currency, to_currency" in header.json()["errors"][0]["message"]
    assert api.post("/api/currency-rates/import/", {}, format="multipart").status_code == 400


def test_reconciliation_needs_a_valid_range(api: Any) -> None:
    assert set(api.get("/api/reports/reconciliation/").json()) == {"start", "end"}
    backwards = api.get("/api/reports/reconciliation/?start=2026-12-02&end=2026-12-01")
    assert backwards.status_code == 400 and "end" in backwards.json()
    empty = api.get("/api/reports/reconciliation/?start=2026-12-01&end=2026-12-02").json()
    assert empty["days"] == [] and empty["differences"] == [] and empty["start"] == "2026-12-01"


def test_mapping_tables_in_the_node_options_endpoint(api: Any) -> None:
    api.post("/api/mapping-tables/", TABLE, format="json")
    answer = api.get("/api/node-types/rules.mapping.lookup/options/table/")
    assert answer.status_code == 200 and answer.json() == [{"value": "SKUs", "label": "SKUs (sku_item)"}]
