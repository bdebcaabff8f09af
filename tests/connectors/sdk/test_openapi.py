"""The OpenAPI checker itself, on a small document and on the vendors' own documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.sdk.openapi import OpenApiSpec, specs_dir

SPECS = specs_dir()
needs_specs = pytest.mark.skipif(
    SPECS is None, reason="the official specifications are not at LEDGERLINE_SPECS_DIR (../shared/specs)"
)

SMALL: dict[str, Any] = {
    "openapi": "3.0.1",
    "paths": {
        "/things/{id}": {
            "parameters": [{"$ref": "#/components/parameters/Tenant"}],
            "put": {
                "parameters": [{"name": "mode", "in": "query", "required": True, "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}
                },
            },
        },
        "/things/special": {"put": {"responses": {"204": {"description": "done"}}}},
    },
    "components": {
        "parameters": {"Tenant": {"name": "tenant-id", "in": "header", "required": True, "schema": {"type": "string"}}},
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "note": {"type": "string", "nullable": True, "example": "x"},
                },
            }
        },
    },
}


def test_requests_are_checked_for_parameters_and_body() -> None:
    spec = OpenApiSpec(SMALL)
    assert (
        spec.check_request(
            "PUT", "/things/7", headers={"Tenant-ID": "t"}, query={"mode": "a"}, body={"name": "n", "note": None}
        )
        == []
    )
    problems = spec.check_request("PUT", "/things/7", headers={}, query={}, body={"note": 3})
    assert problems == [
        "missing required header tenant-id",
        "missing required query parameter mode",
        "request body at (root): 'name' is a required property",
        "request body at note: 3 is not of type 'string', 'null'",
    ]
    assert spec.check_request("GET", "/things/7", headers={}, query={}, body=None) == [
        "GET /things/7 is not an operation of this API"
    ]


def test_literal_paths_win_over_templates_and_responses_are_checked() -> None:
    spec = OpenApiSpec(SMALL)
    operation = spec.operation("PUT", "/things/special")
    assert operation is not None and operation.template == "/things/special"
    assert spec.check_response("PUT", "/things/1", 200, {"name": "n"}) == []
    assert spec.check_response("PUT", "/things/1", 200, {}) == ["200 response at (root): 'name' is a required property"]
    assert spec.check_response("PUT", "/things/1", 500, {}) == ["status 500 is not documented for PUT /things/{id}"]


@needs_specs
def test_the_vendors_examples_pass_their_own_documents() -> None:
    assert SPECS is not None
    xero = OpenApiSpec.load(Path(SPECS) / "xero" / "xero_accounting.yaml")
    put = xero.document["paths"]["/Invoices"]["put"]
    assert (
        xero.check_request(
            "PUT",
            "/Invoices",
            headers={"xero-tenant-id": "t"},
            query={},
            body=put["requestBody"]["content"]["application/json"]["example"],
        )
        == []
    )
    assert (
        xero.check_response("PUT", "/Invoices", 200, put["responses"]["200"]["content"]["application/json"]["example"])
        == []
    )
    walmart = OpenApiSpec.load(Path(SPECS) / "walmart" / "orders.json")
    assert walmart.operation("GET", "/v3/orders/released") is not None
    assert walmart.operation("GET", "/v3/orders/released").template == "/v3/orders/released"  # type: ignore[union-attr]
