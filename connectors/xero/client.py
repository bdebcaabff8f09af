"""A thin client of the Xero Accounting API: auth, tenant, idempotency, batches, limits, errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests

from connectors.sdk import ConnectionHandle, CredentialError, PermanentError, RateLimitedError, TransientError
from connectors.sdk.connections import read_timeout
from connectors.xero import tokens
from connectors.xero.urls import xero_urls

TIMEOUT = (5.0, 30.0)
#: Xero keeps elements per request reasonable at this size.
BATCH_LIMIT = 50
_session = requests.Session()
_DATE = re.compile(r"/Date\((\d+)([+-]\d{4})?\)/")


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # two (or with unitdp four) decimals: printed exactly
    raise TypeError(f"{type(value).__name__} is not JSON")


@dataclass
class ElementResult:
    """One element of a batch: the saved record, or Xero's validation messages for it."""

    record: dict[str, Any] | None
    errors: list[str]


class XeroClient:
    def __init__(self, connection: ConnectionHandle) -> None:
        self.connection = connection
        self.urls = xero_urls(connection.base_url)
        #: The last limit headers seen (minute, day and app-minute budgets left).
        self.last_rate_limit: dict[str, int | None] = {}

    def _tenant(self) -> str:
        tenant = self.connection.settings.get("tenant_id")
        if not tenant:
            raise CredentialError(
                "choose the Xero organisation for this connection (Connect, then pick it)", code="xero.no_tenant"
            )
        return str(tenant)

    def _headers(self, token: str, idempotency_key: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": self._tenant(), "Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key[:128]
        return headers

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        if method in {"PUT", "POST"} and not idempotency_key:
            raise ValueError("every Xero create or update carries an Idempotency-Key")
        for attempt in (1, 2):
            token = tokens.access_token(self.connection, force=attempt == 2)
            all_headers = {**self._headers(token, idempotency_key), **(headers or {})}
            data = None
            if body is not None:
                data = json.dumps(body, default=_encode)
                all_headers["Content-Type"] = "application/json"
            response = self._send(method, self.urls.accounting + path, params=params, data=data, headers=all_headers)
            if response.status_code == 401 and attempt == 1:
                continue
            return self._result(method, path, response)
        raise CredentialError("Xero refused a fresh access token", code="xero.unauthorized")  # pragma: no cover

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            with self.connection.call_slot():
                response = _session.request(method, url, timeout=read_timeout(self.connection, TIMEOUT), **kwargs)
                self._read_limits(response)
                if response.status_code >= 500:
                    raise TransientError(
                        f"Xero answered {response.status_code}", code=f"xero.http_{response.status_code}"
                    )
                return response
        except requests.Timeout:
            raise TransientError("Xero did not answer in time", code="xero.timeout") from None
        except requests.ConnectionError:
            raise TransientError(f"cannot reach Xero at {self.urls.accounting}", code="xero.connection") from None

    def _read_limits(self, response: requests.Response) -> None:
        def number(name: str) -> int | None:
            value = response.headers.get(name)
            return int(value) if value and value.isdigit() else None

        self.last_rate_limit = {
            "minute": number("X-MinLimit-Remaining"),
            "day": number("X-DayLimit-Remaining"),
            "app_minute": number("X-AppMinLimit-Remaining"),
        }
        if self.last_rate_limit["day"] == 0:
            self.connection.remote_says("day", remaining=0, reset_after=3600.0)

    def _result(self, method: str, path: str, response: requests.Response) -> Any:
        status = response.status_code
        try:
            body = json.loads(response.content, parse_float=Decimal) if response.content else {}
        except (ValueError, UnicodeDecodeError):
            raise TransientError(f"Xero sent a body that is not JSON (HTTP {status})", code="xero.malformed") from None
        if status < 300:
            return body
        if status == 429:
            problem = response.headers.get("X-Rate-Limit-Problem", "minute")
            retry_after = float(response.headers.get("Retry-After") or 60)
            self.connection.remote_says(problem, remaining=0, reset_after=retry_after)
            raise RateLimitedError(
                f"Xero's {problem} limit was reached",
                code="xero.rate_limited",
                retry_after=retry_after,
                details={"problem": problem},
            )
        if status in (401, 403):
            self.connection.mark_needs_reauth("Xero refused the connection's authorisation")
            raise CredentialError(
                "Xero refused the connection: connect the organisation again", code=f"xero.http_{status}"
            )
        if status == 404:
            raise PermanentError(f"Xero has no such record ({method} {path})", code="xero.not_found")
        elements = body.get("Elements", []) if isinstance(body, dict) else []
        messages = [m["Message"] for element in elements for m in element.get("ValidationErrors", [])]
        detail = "; ".join(messages) or (body.get("Message") if isinstance(body, dict) else None) or f"HTTP {status}"
        raise PermanentError(
            f"Xero refused {method} {path}: {detail}", code="xero.validation", details={"messages": messages}
        )

    # -- reading ------------------------------------------------------------------------

    def list_all(
        self, collection: str, params: Mapping[str, Any] | None = None, if_modified_since: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record of a paged collection, page by page."""
        page = 1
        headers = {"If-Modified-Since": if_modified_since} if if_modified_since else None
        while True:
            body = self.call("GET", f"/{collection}", params={**(params or {}), "page": page}, headers=headers)
            records = body.get(collection, [])
            yield from records
            pagination = body.get("pagination") or {}
            if not records or page >= int(pagination.get("pageCount", page)):
                return
            page += 1

    def get(self, collection: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return list(self.call("GET", f"/{collection}", params=params).get(collection, []))

    # -- writing --------------------------------------------------------------------

    def create_many(
        self, collection: str, elements: Sequence[Mapping[str, Any]], idempotency_key: str, *, unitdp: int = 2
    ) -> list[ElementResult]:
        """Create many elements in one call; each element's outcome in input order."""
        params: dict[str, Any] = {"summarizeErrors": "false"}
        if unitdp == 4:
            params["unitdp"] = 4
        body = self.call(
            "PUT", f"/{collection}", params=params, body={collection: list(elements)}, idempotency_key=idempotency_key
        )
        results = []
        for record in body.get(collection, []):
            if record.get("HasErrors") or record.get("StatusAttributeString") == "ERROR":
                results.append(ElementResult(None, [m["Message"] for m in record.get("ValidationErrors", [])]))
            else:
                results.append(ElementResult(record, []))
        if len(results) != len(elements):
            raise TransientError(
                f"Xero answered {len(results)} elements for {len(elements)}", code="xero.batch_mismatch"
            )
        return results

    def create_one(self, collection: str, element: Mapping[str, Any], idempotency_key: str) -> dict[str, Any]:
        [result] = self.create_many(collection, [element], idempotency_key)
        if result.record is None:
            raise PermanentError(
                f"Xero refused the {collection[:-1].lower()}: {'; '.join(result.errors)}",
                code="xero.validation",
                details={"messages": result.errors},
            )
        return result.record


def parse_xero_date(value: str) -> datetime | None:
    """``/Date(1552262400000+0000)/`` (Xero's JSON dates) as an aware datetime."""
    match = _DATE.match(value or "")
    if match is None:
        return None
    return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)


def quote(value: str) -> str:
    """A value inside a Xero ``where`` clause."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
