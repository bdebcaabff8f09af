from __future__ import annotations

import email.utils
import time
from typing import Any

import requests

from connectors.builtin.expressions import evaluate_for, expression_property
from connectors.builtin.network_guard import check_url
from connectors.sdk import NodeType, PermanentError, RateLimitedError, RetryPolicy, TransientError, register

#: One pooled session for every HTTP node in the process.
_session = requests.Session()
#: How much of an error response is kept on the node run.
ERROR_BODY_LIMIT = 2000


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def name_value_pairs(title: str) -> dict[str, Any]:
    """A form table of name/value rows (headers, query parameters)."""
    row = {"name": {"type": "string", "title": "Name"}, "value": {"type": "string", "title": "Value"}}
    return {
        "type": "array",
        "title": title,
        "items": {"type": "object", "required": ["name", "value"], "additionalProperties": False, "properties": row},
        "default": [],
    }


@register
class HttpRequestNode(NodeType):
    """Calls an HTTP endpoint. Internal addresses are refused unless an administrator allowed them."""

    type = "builtin.http.request"
    title = "HTTP request"
    category = "Network"
    icon = "globe"
    description = "Call any HTTP API and pass on its response."
    side_effects = True
    retry = RetryPolicy(max_attempts=5, base_delay=2.0, max_delay=120.0)
    config_schema = {
        "type": "object",
        "required": ["method", "url"],
        "additionalProperties": False,
        "properties": {
            "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"], "title": "Method", "default": "POST"},
            "url": {"type": "string", "title": "URL", "description": "http:// or https:// address.", "minLength": 1},
            "url_expression": expression_property("URL from the item", "JSONata giving the URL; overrides URL."),
            "headers": name_value_pairs("Headers"),
            "query": name_value_pairs("Query parameters"),
            "body_expression": expression_property(
                "JSON body", "JSONata over the item giving the body; empty: the item."
            ),
            "send_body": {"type": "boolean", "title": "Send a body", "default": True},
            "timeout_seconds": {"type": "number", "title": "Timeout (s)", "minimum": 1, "maximum": 120, "default": 10},
            "expected_status": {
                "type": "array",
                "title": "Successful statuses",
                "description": "Empty: any 2xx.",
                "items": {"type": "integer", "minimum": 100, "maximum": 599},
                "default": [],
            },
            "response": {"enum": ["json", "text"], "title": "Read the response as", "default": "json"},
        },
    }
    sample_input = {"order_id": "PO-1"}

    def execute(self, context: Any, item: Any) -> Any:
        config = context.config
        url = (
            evaluate_for(context, config["url_expression"], item, "config.url_expression")
            if config.get("url_expression")
            else config["url"]
        )
        check_url(str(url))
        method = config.get("method", "POST")
        body = None
        if method != "GET" and config.get("send_body", True):
            body = (
                evaluate_for(context, config["body_expression"], item, "config.body_expression")
                if config.get("body_expression")
                else item
            )
        timeout = float(config.get("timeout_seconds", 10))
        try:
            response = _session.request(
                method,
                str(url),
                headers={h["name"]: h["value"] for h in config.get("headers", [])},
                params={q["name"]: q["value"] for q in config.get("query", [])},
                json=body,
                timeout=(min(timeout, 10.0), timeout),
                allow_redirects=False,
            )
        except requests.Timeout:
            raise TransientError(f"no answer from {url} within {timeout:g} s", code="timeout") from None
        except requests.ConnectionError as exc:
            raise TransientError(f"cannot connect to {url}: {type(exc).__name__}", code="connection") from None
        return self._result(response, config)

    def _result(self, response: requests.Response, config: Any) -> dict[str, Any]:
        status = response.status_code
        expected = config.get("expected_status") or []
        ok = status in expected if expected else 200 <= status < 300
        if not ok:
            excerpt = response.text[:ERROR_BODY_LIMIT]
            if status == 429:
                raise RateLimitedError(
                    f"{response.url} answered 429 Too Many Requests",
                    retry_after=retry_after_seconds(response.headers.get("Retry-After")),
                    details={"body": excerpt},
                )
            if status >= 500:
                raise TransientError(
                    f"{response.url} answered {status}", code=f"http_{status}", details={"body": excerpt}
                )
            raise PermanentError(
                f"{response.url} answered {status}", code=f"http_{status}", details={"status": status, "body": excerpt}
            )
        if config.get("response", "json") == "json" and response.content:
            try:
                body: Any = response.json()
            except ValueError:
                raise PermanentError(
                    "the response is not JSON; choose text in 'Read the response as'", field="config.response"
                ) from None
        else:
            body = response.text
        return {"status": status, "headers": dict(response.headers), "body": body}
