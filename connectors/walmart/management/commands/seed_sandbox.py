"""``manage.py seed_sandbox``: fill the running local sandboxes with realistic data.

The sandboxes keep their state in the memory of the process serving them
(``manage.py serve``), so this command talks to them over their control API
(``/sandbox/<system>/_control/``) instead of touching a store of its own.
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def sandbox_base_url() -> str:
    """Where the sandboxes answer: their own port, else the app's public URL."""
    return str(settings.LEDGERLINE_SANDBOX_URL or settings.LEDGERLINE_PUBLIC_URL).rstrip("/")


class Command(BaseCommand):
    help = "Seed the running local sandboxes: Walmart orders (with returns for a share of them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--walmart-orders", type=int, default=100, help="orders to add (default 100)")
        parser.add_argument(
            "--returns-share", type=float, default=0.15, help="fraction of the new orders with a return (0 to 1)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same data")
        parser.add_argument("--reset", action="store_true", help="empty both sandboxes (Walmart and Xero) first")
        parser.add_argument("--url", default="", help="base URL of the sandboxes (default: LEDGERLINE_SANDBOX_URL)")

    def handle(self, *args: Any, **options: Any) -> None:
        orders, share = options["walmart_orders"], options["returns_share"]
        if not 0 <= orders <= 100_000:
            raise CommandError("--walmart-orders must be 0 to 100000")
        if not 0 <= share <= 1:
            raise CommandError("--returns-share must be a fraction from 0 to 1")
        base = (options["url"] or sandbox_base_url()).rstrip("/")
        if options["reset"]:
            for system in ("walmart", "xero"):
                self._post(f"{base}/sandbox/{system}/_control/reset", {})
            self.stdout.write("Emptied the Walmart and Xero sandboxes.")
        totals = self._post(
            f"{base}/sandbox/walmart/_control/seed", {"orders": orders, "seed": options["seed"], "returns_share": share}
        )
        self.stdout.write(
            f"Added {orders} Walmart orders: the sandbox at {base}/sandbox/walmart/ now holds "
            f"{totals['orders']} orders and {totals['returns']} returns."
        )

    @staticmethod
    def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = requests.post(url, json=body, timeout=(5, 300))
        except requests.RequestException as exc:
            raise CommandError(
                f"cannot reach the sandbox at {url} ({type(exc).__name__}): start it with `manage.py serve` "
                "or name its address with --url"
            ) from None
        if response.status_code != 200:
            raise CommandError(f"the sandbox refused {url}: HTTP {response.status_code} {response.text[:300]}")
        answer: dict[str, Any] = response.json()
        return answer
