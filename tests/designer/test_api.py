"""The REST API: workflows, versions, validation errors, templates, runs, and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from designer.models import Workflow
from engine.models import Run
from tests.fixtures.engine import InlineEngine
from tests.support.flows import chain, manual, node

FLOW = chain(manual(), node("one", "test.count"))


def create(api: APIClient, document: Any = FLOW, name: str = "Orders") -> dict[str, Any]:
    response = api.post("/api/workflows/", {"name": name, "document": document}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_requires_authentication(db: Any) -> None:
    assert APIClient().get("/api/workflows/").status_code == 401


def test_create_list_and_read_a_workflow(api: APIClient) -> None:
    created = create(api)
    assert created["latest_version"]["number"] == 1
    listed = api.get("/api/workflows/?search=ord").json()
    assert [w["id"] for w in listed["results"]] == [created["id"]]
    version = api.get(f"/api/workflows/{created['id']}/versions/1/").json()
    assert version["document"] == FLOW


def test_invalid_document_is_refused_with_node_and_field(api: APIClient) -> None:
    bad = chain(manual(), node("flaky", "test.flaky", failures="lots"))
    response = api.post("/api/workflows/", {"name": "Bad", "document": bad}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "config", "message": "'lots' is not of type 'integer'", "node": "flaky", "field": "config.failures"}
    ]
    assert Workflow.objects.count() == 0


def test_saving_versions_detects_stale_editors(api: APIClient) -> None:
    workflow = create(api)
    url = f"/api/workflows/{workflow['id']}/versions/"
    first = api.post(url, {"document": FLOW, "message": "mine", "base_version": 1}, format="json")
    assert first.status_code == 201 and first.json()["number"] == 2
    stale = api.post(url, {"document": FLOW, "message": "theirs", "base_version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["detail"] == "stale"
    assert stale.json()["latest_version"]["number"] == 2
    assert [v["number"] for v in api.get(url).json()] == [2, 1]


def test_restore_makes_a_new_version(api: APIClient) -> None:
    workflow = create(api)
    url = f"/api/workflows/{workflow['id']}/versions/"
    changed = chain(manual(), node("one", "test.count"), node("two", "test.count"))
    api.post(url, {"document": changed, "base_version": 1}, format="json")
    restored = api.post(f"{url}1/restore/")
    assert restored.status_code == 201
    assert restored.json()["number"] == 3 and restored.json()["document"] == FLOW


def test_validate_endpoint(api: APIClient) -> None:
    workflow = create(api)
    result = api.post(
        f"/api/workflows/{workflow['id']}/validate/",
        {"document": {"schema": 1, "nodes": [], "edges": "x"}},
        format="json",
    )
    assert result.status_code == 200
    assert result.json()["valid"] is False
    assert result.json()["errors"][0]["field"] == "edges"


def test_export_then_import(api: APIClient) -> None:
    workflow = create(api, name="Exported")
    exported = api.get(f"/api/workflows/{workflow['id']}/export/")
    assert exported.status_code == 200
    assert "attachment" in exported["Content-Disposition"]
    data = exported.json()
    assert data["format"] == "ledgerline.workflow" and data["document"] == FLOW
    imported = api.post("/api/workflows/import/", data, format="json")
    assert imported.status_code == 201 and imported.json()["name"] == "Exported"
    refused = api.post("/api/workflows/import/", {"name": "x"}, format="json")
    assert refused.status_code == 400 and "format" in refused.json()["detail"]


def test_duplicate_and_delete(api: APIClient) -> None:
    workflow = create(api)
    copy = api.post(f"/api/workflows/{workflow['id']}/duplicate/").json()
    assert copy["name"] == "Orders (copy)"
    assert api.delete(f"/api/workflows/{workflow['id']}/").status_code == 204
    assert [w["id"] for w in api.get("/api/workflows/").json()["results"]] == [copy["id"]]


def test_templates_clone_into_an_editable_workflow(api: APIClient, org: Any) -> None:
    template = Workflow.objects.create(
        organization=org, name="Order triage", is_template=True, template_info={"summary": "s"}
    )
    template.versions.create(number=1, document=FLOW)
    listed = api.get("/api/templates/").json()["results"]
    assert [t["name"] for t in listed] == ["Order triage"]
    clone = api.post(f"/api/templates/{template.pk}/clone/", {"name": "My triage"}, format="json")
    assert clone.status_code == 201
    assert clone.json()["name"] == "My triage" and clone.json()["is_template"] is False
    assert api.get("/api/workflows/").json()["count"] == 1


def test_cloning_a_template_fills_in_its_connections(api: APIClient, org: Any) -> None:
    """The only connection of a kind is used; with several, the one chosen; rules nodes take the
    kind of the node type they read the books through."""
    from connectors.sdk.models import Connection

    walmart = Connection.objects.create(organization=org, kind="walmart", name="Walmart US")
    first = Connection.objects.create(organization=org, kind="xero", name="Xero UK")
    second = Connection.objects.create(organization=org, kind="xero", name="Xero US")
    document = {
        "schema": 1,
        "nodes": [
            {"id": "ack", "type": "walmart.order.acknowledge", "config": {"connection": ""}},
            {"id": "codes", "type": "rules.books.check_codes", "config": {"connection": ""}},
            {"id": "invoice", "type": "xero.invoice.create", "config": {"connection": "kept"}},
        ],
        "edges": [{"source": "ack", "target": "codes"}, {"source": "codes", "target": "invoice"}],
    }
    template = Workflow.objects.create(organization=org, name="Books", is_template=True)
    template.versions.create(number=1, document=document)

    def cloned(body: dict[str, Any]) -> dict[str, str]:
        response = api.post(f"/api/templates/{template.pk}/clone/", body, format="json")
        assert response.status_code == 201, response.json()
        nodes = Workflow.objects.get(pk=response.json()["id"]).latest_version().document["nodes"]  # type: ignore[union-attr]
        return {node["id"]: node["config"]["connection"] for node in nodes}

    assert cloned({}) == {"ack": str(walmart.pk), "codes": "", "invoice": "kept"}
    assert cloned({"connections": {"xero": str(second.pk)}}) == {
        "ack": str(walmart.pk),
        "codes": str(second.pk),
        "invoice": "kept",
    }
    refused = api.post(
        f"/api/templates/{template.pk}/clone/", {"connections": {"xero": str(walmart.pk)}}, format="json"
    )
    assert refused.status_code == 400
    assert "xero" in refused.json()["connections"]
    assert first.pk  # two Xero connections: nothing is guessed without a choice


def test_start_a_run_and_read_every_node(api: APIClient, engine_inline: InlineEngine) -> None:
    workflow = create(api)
    started = api.post(f"/api/workflows/{workflow['id']}/runs/", {"input": {"po": "1"}}, format="json")
    assert started.status_code == 201
    run_id = started.json()["id"]
    engine_inline.drive(Run.objects.get(pk=run_id))
    detail = api.get(f"/api/runs/{run_id}/").json()
    assert detail["status"] == "succeeded"
    assert [(n["node_id"], n["status"], n["attempts"], n["output"]) for n in detail["node_runs"]] == [
        ("start", "succeeded", 1, {"out": {"po": "1"}}),
        ("one", "succeeded", 1, {"out": {"po": "1"}}),
    ]
    events = api.get(f"/api/runs/{run_id}/events/?after=6").json()
    assert [e["type"] for e in events] == ["run.succeeded"]
    runs = api.get(f"/api/runs/?workflow={workflow['id']}&status=succeeded").json()
    assert runs["count"] == 1


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        pytest.param("get", "/api/runs/?status=bogus", None, 400, id="unknown_status_filter"),
        pytest.param("get", "/api/runs/?created_after=yesterday", None, 400, id="bad_date_filter"),
        pytest.param("get", "/api/runs/not-a-uuid/", None, 404, id="malformed_run_id"),
        pytest.param("post", "/api/workflows/", {"name": ""}, 400, id="blank_name"),
        pytest.param("post", "/api/workflows/", {"name": "x", "document": "nope"}, 400, id="document_not_object"),
        pytest.param("get", "/api/node-types/nope/options/x/", None, 404, id="unknown_node_type"),
    ],
)
def test_bad_input_gets_a_4xx_never_a_500(api: APIClient, method: str, url: str, body: Any, status: int) -> None:
    response = getattr(api, method)(url, body, format="json") if body is not None else getattr(api, method)(url)
    assert response.status_code == status


def test_run_start_errors(api: APIClient) -> None:
    empty = api.post("/api/workflows/", {"name": "Empty"}, format="json").json()
    response = api.post(f"/api/workflows/{empty['id']}/runs/", {"input": {}}, format="json")
    assert response.status_code == 400 and "empty" in str(response.json()["version"])
    workflow = create(api)
    response = api.post(f"/api/workflows/{workflow['id']}/runs/", {"version": 9}, format="json")
    assert response.status_code == 400


def test_node_type_catalogue_lists_registered_types(api: APIClient) -> None:
    catalogue = {entry["type"]: entry for entry in api.get("/api/node-types/").json()}
    assert catalogue["test.flaky"]["config_schema"]["properties"]["failures"] == {"type": "integer", "minimum": 0}
    assert catalogue["test.join"]["inputs"] == [
        {"name": "left", "title": "left", "required": True},
        {"name": "right", "title": "right", "required": False},
    ]


def test_other_organisations_data_is_invisible(api: APIClient, org: Any) -> None:
    from orgs.models import Organization

    other = Organization.objects.create(name="Other", slug="other")
    foreign = Workflow.objects.create(organization=other, name="Theirs")
    assert api.get(f"/api/workflows/{foreign.pk}/").status_code == 404
    assert api.get("/api/workflows/").json()["count"] == 0


def test_openapi_schema_is_served(api: APIClient) -> None:
    response = api.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/workflows/" in response.content
