"""Checking requests and responses against a vendor's OpenAPI 3.0 document.

Used by conformance tests: every request a client makes, and every response a
sandbox gives, is checked against the official document in
``LEDGERLINE_SPECS_DIR`` (default ``../shared/specs`` beside the project).
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

_ROOT = "urn:ledgerline:spec"
_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def specs_dir() -> Path | None:
    """The folder of official specifications, or None when it is not there."""
    configured = os.environ.get("LEDGERLINE_SPECS_DIR")
    folder = Path(configured) if configured else Path(__file__).resolve().parents[3] / "shared" / "specs"
    return folder if folder.is_dir() else None


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects → JSON Schema (``nullable``, ``example`` ...)."""
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        key: _to_json_schema(value) for key, value in node.items() if key not in {"example", "examples", "xml"}
    }
    if converted.pop("nullable", False) is True:
        if "type" in converted:
            kinds = converted["type"] if isinstance(converted["type"], list) else [converted["type"]]
            converted["type"] = [*kinds, "null"]
        elif "$ref" in converted:
            converted = {"anyOf": [{"$ref": converted.pop("$ref")}, {"type": "null"}], **converted}
    return converted


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: Mapping[str, Any]
    parameters: tuple[Mapping[str, Any], ...]


class OpenApiSpec:
    """One OpenAPI document, ready to check traffic against."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        converted = _to_json_schema(copy.deepcopy(document))
        self._registry: Registry[Any] = Registry().with_resource(_ROOT, DRAFT7.create_resource(converted))
        self._paths = [
            (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"), template)
            for template in document.get("paths", {})
        ]
        self._validators: dict[str, Draft7Validator] = {}

    @classmethod
    def load(cls, path: Path) -> OpenApiSpec:
        return _load(str(path))

    def _resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in node:
            pointer = str(node["$ref"]).lstrip("#/").split("/")
            target: Any = self.document
            for part in pointer:
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation ``method path`` (path relative to the API base, without the query)."""
        path = path.split("?")[0]
        matches = [template for pattern, template in self._paths if pattern.match(path)]
        # Literal segments beat templated ones: /v3/orders/released before /v3/orders/{id}.
        for template in sorted(matches, key=lambda t: t.count("{")):
            item = self.document["paths"][template]
            spec = item.get(method.lower())
            if spec is not None:
                params = [self._resolve(p) for p in [*item.get("parameters", []), *spec.get("parameters", [])]]
                return Operation(method.lower(), template, spec, tuple(params))
        return None

    def _validator(self, pointer: str) -> Draft7Validator:
        validator = self._validators.get(pointer)
        if validator is None:
            validator = Draft7Validator({"$ref": f"{_ROOT}#{pointer}"}, registry=self._registry)
            self._validators[pointer] = validator
        return validator

    def _schema_problems(self, pointer: str, value: Any, what: str) -> list[str]:
        errors = sorted(self._validator(pointer).iter_errors(value), key=lambda e: list(e.absolute_path))
        return [f"{what} at {'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in errors[:20]]

    @staticmethod
    def _escape(template: str) -> str:
        return template.replace("~", "~0").replace("/", "~1")

    def check_request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        query: Mapping[str, Any],
        body: Any,
        extra_required_headers: tuple[str, ...] = (),
    ) -> list[str]:
        """Problems with a request: unknown operation, missing parameters, a body off its schema."""
        operation = self.operation(method, path)
        if operation is None:
            return [f"{method.upper()} {path} is not an operation of this API"]
        problems = []
        present_headers = {name.lower() for name in headers}
        for param in operation.parameters:
            if not param.get("required"):
                continue
            where, name = param.get("in"), str(param.get("name", ""))
            if where == "header" and name.lower() not in present_headers:
                problems.append(f"missing required header {name}")
            if where == "query" and name not in query:
                problems.append(f"missing required query parameter {name}")
        problems += [
            f"missing required header {name}" for name in extra_required_headers if name.lower() not in present_headers
        ]
        content = operation.spec.get("requestBody", {}).get("content", {})
        if body is not None and "application/json" in content and "schema" in content["application/json"]:
            operation_pointer = f"/paths/{self._escape(operation.template)}/{operation.method}"
            pointer = f"{operation_pointer}/requestBody/content/application~1json/schema"
            problems += self._schema_problems(pointer, body, "request body")
        return problems

    def check_response(
        self, method: str, path: str, status: int, body: Any, content_type: str = "application/json"
    ) -> list[str]:
        """Problems with a response body against the documented schema of its status."""
        operation = self.operation(method, path)
        if operation is None:
            return [f"{method.upper()} {path} is not an operation of this API"]
        responses = operation.spec.get("responses", {})
        key = str(status) if str(status) in responses else ("default" if "default" in responses else None)
        if key is None:
            return [f"status {status} is not documented for {method.upper()} {operation.template}"]
        response = self._resolve(responses[key])
        media = content_type.split(";")[0].strip()
        if "schema" not in response.get("content", {}).get(media, {}):
            return []
        ref = responses[key].get("$ref")
        base = (
            ref.lstrip("#") if ref else f"/paths/{self._escape(operation.template)}/{operation.method}/responses/{key}"
        )
        return self._schema_problems(f"{base}/content/{media.replace('/', '~1')}/schema", body, f"{status} response")


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SpecLoader(_BaseLoader):
    """YAML as JSON sees it: dates stay strings (the spec's examples are JSON payloads)."""


_SpecLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


@lru_cache(maxsize=16)
def _load(path: str) -> OpenApiSpec:
    text = Path(path).read_text()
    document = json.loads(text) if path.endswith(".json") else yaml.load(text, Loader=_SpecLoader)  # noqa: S506 - a safe loader
    return OpenApiSpec(document)
