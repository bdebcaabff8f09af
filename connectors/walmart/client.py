"""A thin client of the Walmart Marketplace API (US): tokens, headers, pagination, errors.

Every failure becomes a :mod:`connectors.sdk.errors` class; amounts are parsed
as ``Decimal``; every call goes through the connection's shared call slot.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests

from connectors.sdk import ConnectionHandle, CredentialError, PermanentError, RateLimitedError, TransientError
from connectors.sdk.connections import read_timeout

#: (connect, read) seconds for every call.
TIMEOUT = (5.0, 30.0)
#: Renew the token this long before Walmart says it expires.
TOKEN_MARGIN_SECONDS = 60
_session = requests.Session()


def _header(response: requests.Response, *names: str) -> str | None:
    for name in names:
        value = response.headers.get(name)
        if value is not None:
            return value
    return None


class WalmartClient:
    """One connection's view of the API. Cheap to create; share nothing between connections."""

    def __init__(self, connection: ConnectionHandle) -> None:
        self.connection = connection
        self.base_url = connection.base_url.rstrip("/")
        #: The last rate-limit headers seen: ``{"remaining": int | None, "reset_at_ms": int | None}``.
        self.last_rate_limit: dict[str, int | None] = {}

    # -- auth -----------------------------------------------------------------------

    def _basic(self) -> tuple[str, str]:
        client_id, secret = self.connection.secret("client_id"), self.connection.secret("client_secret")
        if not client_id or not secret:
            raise CredentialError("the Walmart connection has no client id and secret", code="walmart.no_credentials")
        return client_id, secret

    def _base_headers(self) -> dict[str, str]:
        headers = {
            "WM_QOS.CORRELATION_ID": str(uuid.uuid4()),
            "WM_SVC.NAME": str(self.connection.settings.get("svc_name") or "Walmart Marketplace"),
            "Accept": "application/json",
        }
        if self.connection.settings.get("channel_type"):
            headers["WM_CONSUMER.CHANNEL.TYPE"] = str(self.connection.settings["channel_type"])
        return headers

    def access_token(self, *, force: bool = False) -> str:
        """A valid access token, fetched once for every worker sharing the connection."""
        if not force and (token := self._cached_token()):
            return token
        with self.connection.locked() as locked:
            if not force and (token := self._cached_token()):
                return token  # another worker renewed it while this one waited
            response = self._send(
                "POST",
                "/v3/token",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                data={"grant_type": "client_credentials"},
                auth=self._basic(),
            )
            body = self._json(response)
            if response.status_code != 200:
                raise CredentialError(
                    "Walmart refused the client id and secret", code="walmart.token", details=self._errors(body)
                )
            expires_at = time.time() + int(body.get("expires_in", 900)) - TOKEN_MARGIN_SECONDS
            locked.update_secrets(access_token=body["access_token"], access_token_expires_at=str(expires_at))
            return str(body["access_token"])

    def _cached_token(self) -> str | None:
        token, expires = self.connection.secret("access_token"), self.connection.secret("access_token_expires_at")
        if token and expires and float(expires) > time.time():
            return token
        return None

    # -- transport ------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self._base_headers(), **kwargs.pop("headers", {})}
        scope = endpoint_group(method, path)
        try:
            with self.connection.call_slot(scope):
                timeout = read_timeout(self.connection, TIMEOUT)
                response = _session.request(method, self.base_url + path, headers=headers, timeout=timeout, **kwargs)
                self._read_limits(response, scope)
                if response.status_code >= 500:
                    raise TransientError(
                        f"Walmart answered {response.status_code} to {method} {path}",
                        code=f"walmart.http_{response.status_code}",
                    )
                return response
        except requests.Timeout:
            raise TransientError(f"Walmart did not answer {method} {path} in time", code="walmart.timeout") from None
        except requests.ConnectionError:
            raise TransientError(f"cannot reach Walmart at {self.base_url}", code="walmart.connection") from None

    def _read_limits(self, response: requests.Response, scope: str) -> None:
        count = _header(response, "X-Current-Token-Count", "x-current-token-count")
        reset = _header(response, "X-Next-Replenishment-Time", "x-next-replenish-time")
        remaining = int(count) if count and count.isdigit() else None
        reset_at = int(reset) if reset and reset.isdigit() else None
        self.last_rate_limit = {"remaining": remaining, "reset_at_ms": reset_at}
        if remaining == 0:
            # Spent: every worker pauses this endpoint group until Walmart refills it.
            wait = max(1.0, reset_at / 1000 - time.time()) if reset_at else 1.0
            self.connection.remote_says(scope, remaining=0, reset_after=wait)

    @staticmethod
    def _json(response: requests.Response) -> Any:
        if not response.content:
            return {}
        try:
            return json.loads(response.content, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            raise TransientError(
                f"Walmart sent a body that is not JSON (HTTP {response.status_code})", code="walmart.malformed"
            ) from None

    @staticmethod
    def _errors(body: Any) -> list[dict[str, Any]]:
        errors = (body.get("errors") or body.get("error") or []) if isinstance(body, dict) else []
        return [{k: e.get(k) for k in ("code", "field", "description")} for e in errors if isinstance(e, dict)]

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        upload: Any = None,
    ) -> Any:
        """An authenticated call; the JSON answer, or a classified error.

        ``body`` is sent as JSON; ``upload`` as the multipart part ``file`` (feeds).
        """
        for attempt in (1, 2):
            headers = {"WM_SEC.ACCESS_TOKEN": self.access_token(force=attempt == 2)}
            kwargs: dict[str, Any] = {"headers": headers, "params": params}
            if body is not None:
                kwargs["data"] = json.dumps(body, default=_number)
                headers["Content-Type"] = "application/json"
            if upload is not None:
                kwargs["files"] = {"file": ("feed.json", json.dumps(upload, default=_number), "application/json")}
            response = self._send(method, path, **kwargs)
            if response.status_code == 401 and attempt == 1:
                continue  # the token expired early: fetch a new one once
            return self._result(method, path, response)
        raise CredentialError("Walmart refused a fresh access token", code="walmart.unauthorized")  # pragma: no cover

    def _result(self, method: str, path: str, response: requests.Response) -> Any:
        body = self._json(response)
        status = response.status_code
        if status < 300:
            return body
        errors = self._errors(body)
        if status == 429:
            retry_after = response.headers.get("Retry-After")
            reset = self.last_rate_limit.get("reset_at_ms")
            wait = float(retry_after) if retry_after else (max(1.0, reset / 1000 - time.time()) if reset else None)
            self.connection.remote_says(endpoint_group(method, path), remaining=0, reset_after=wait)
            raise RateLimitedError(
                f"Walmart throttled {method} {path}", code="walmart.throttled", retry_after=wait, details=errors
            )
        if status == 401:
            self.connection.mark_needs_reauth("Walmart refused the access token")
            raise CredentialError("Walmart refused the access token", code="walmart.unauthorized", details=errors)
        if status == 403:
            raise CredentialError(
                "the Walmart app lacks the permission for this call", code="walmart.forbidden", details=errors
            )
        message = "; ".join(e["description"] or e["code"] for e in errors) or f"HTTP {status}"
        raise PermanentError(
            f"Walmart refused {method} {path}: {message}", code=f"walmart.http_{status}", details=errors
        )

    # -- operations -----------------------------------------------------------------

    def orders_page(self, params: Mapping[str, Any], cursor: str | None = None) -> dict[str, Any]:
        """One page of ``GET /v3/orders``: ``{"meta": …, "orders": […]}``."""
        answer = self.call("GET", "/v3/orders" + (cursor or ""), params=None if cursor else params)
        listing = answer.get("list", {})
        return {"meta": listing.get("meta", {}), "orders": listing.get("elements", {}).get("order", [])}

    def orders(self, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every order matching ``params``, across pages."""
        cursor = None
        while True:
            page = self.orders_page(params, cursor)
            yield from page["orders"]
            cursor = page["meta"].get("nextCursor")
            if not cursor:
                return

    def order(self, purchase_order_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"/v3/orders/{purchase_order_id}")["order"])

    def acknowledge(self, purchase_order_id: str) -> dict[str, Any]:
        return dict(self.call("POST", f"/v3/orders/{purchase_order_id}/acknowledge")["order"])

    def ship(self, purchase_order_id: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"orderShipment": {"orderLines": {"orderLine": lines}}}
        return dict(self.call("POST", f"/v3/orders/{purchase_order_id}/shipping", body=body)["order"])

    def cancel(self, purchase_order_id: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"orderCancellation": {"orderLines": {"orderLine": lines}}}
        return dict(self.call("POST", f"/v3/orders/{purchase_order_id}/cancel", body=body)["order"])

    def inventory(self, sku: str) -> dict[str, Any]:
        return dict(self.call("GET", "/v3/inventory", params={"sku": sku}))

    def update_inventory(self, sku: str, amount: int) -> dict[str, Any]:
        body = {"sku": sku, "quantity": {"unit": "EACH", "amount": amount}}
        return dict(self.call("PUT", "/v3/inventory", params={"sku": sku}, body=body))

    def returns_page(self, params: Mapping[str, Any], cursor: str | None = None) -> dict[str, Any]:
        """One page of ``GET /v3/returns``: ``{"meta": …, "returns": […]}`` (``meta.nextCursor`` to go on)."""
        answer = self.call("GET", "/v3/returns" + (cursor or ""), params=None if cursor else params)
        return {"meta": answer.get("meta", {}), "returns": answer.get("returnOrders", [])}

    def returns(self, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every return order matching ``params``, across pages."""
        cursor = None
        while True:
            page = self.returns_page(params, cursor)
            yield from page["returns"]
            cursor = page["meta"].get("nextCursor")
            if not cursor:
                return

    def update_price(
        self, sku: str, amount: Decimal, currency: str = "USD", price_type: str = "BASE"
    ) -> dict[str, Any]:
        body = {
            "sku": sku,
            "pricing": [{"currentPriceType": price_type, "currentPrice": {"currency": currency, "amount": amount}}],
        }
        return dict(self.call("PUT", "/v3/price", body=body).get("ItemPriceResponse", {}))

    def submit_feed(self, feed_type: str, content: Mapping[str, Any]) -> str:
        """Upload a bulk feed (``inventory``, ``MP_INVENTORY``, ``price``); Walmart's feed id."""
        return str(self.call("POST", "/v3/feeds", params={"feedType": feed_type}, upload=content)["feedId"])

    def feed_status(self, feed_id: str, *, details: bool = True) -> dict[str, Any]:
        """``GET /v3/feeds/{feedId}``: the feed's status and, once processed, each item's outcome."""
        params = {"includeDetails": "true" if details else "false", "limit": "50"}
        return dict(self.call("GET", f"/v3/feeds/{quote(feed_id, safe='')}", params=params))


def endpoint_group(method: str, path: str) -> str:
    """Walmart budgets calls per endpoint group; these names follow its API sections."""
    if path.startswith("/v3/token"):
        return "token"
    if path.startswith(("/v3/inventory", "/v3/inventories")):
        return "inventory"
    if path.startswith("/v3/feeds"):
        return "feeds"
    if path.startswith("/v3/price"):
        return "price"
    if path.startswith("/v3/returns"):
        return "returns"
    if path.startswith("/v3/orders"):
        return "orders.read" if method == "GET" else "orders.write"
    return "other"


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # JSON numbers; Walmart amounts have two decimals
    raise TypeError(f"{type(value).__name__} is not JSON")
