"""Turning environment variables into settings: the one place config is read."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import dj_database_url


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


def persistent_secret(path: Path) -> str:
    """A random secret kept in a file, so an embedded install keeps it across restarts."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


def database_config(url: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Several threads (web, in-process worker, scheduler) share the file:
        # wait for the write lock instead of failing at once.
        config["OPTIONS"] = {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
        config["CONN_MAX_AGE"] = 0
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # Parameters travel apart from the statement (psycopg's server-side binding): with
        # client-side binding every value is quoted into the SQL text in Python, and a statement
        # of many rows (a group's writes) is parsed again each time.
        config.setdefault("OPTIONS", {})["server_side_binding"] = True
    return config


def broker_config(url: str, namespace: str) -> dict[str, Any]:
    """django_dramatiq's DRAMATIQ_BROKER for ``stub://``, ``redis://`` or ``amqp://`` URLs."""
    scheme = urlparse(url).scheme
    middleware = [
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Retries",
        "engine.db.DbConnectionsMiddleware",
        "engine.db.PromptPollingMiddleware",
    ]
    if scheme == "stub":
        return {"BROKER": "dramatiq.brokers.stub.StubBroker", "OPTIONS": {}, "MIDDLEWARE": middleware}
    if scheme in {"redis", "rediss"}:
        return {
            "BROKER": "dramatiq.brokers.redis.RedisBroker",
            # A dead worker's unacknowledged messages go back to the queue after
            # the heartbeat timeout: that is how a killed worker's run resumes.
            "OPTIONS": {
                "url": url,
                "namespace": namespace,
                "heartbeat_timeout": 15_000,
                "dead_message_ttl": 7 * 86_400_000,
            },
            "MIDDLEWARE": middleware,
        }
    if scheme in {"amqp", "amqps"}:
        return {"BROKER": "dramatiq.brokers.rabbitmq.RabbitmqBroker", "OPTIONS": {"url": url}, "MIDDLEWARE": middleware}
    raise ValueError(f"BROKER_URL {url!r}: use stub://, redis://host:port/db or amqp://user:pass@host:port/vhost")


def channel_layer_config(url: str) -> dict[str, Any]:
    scheme = urlparse(url).scheme
    if scheme == "memory":
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    if scheme in {"redis", "rediss"}:
        prefix = parse_qs(urlparse(url).query).get("prefix", ["ledgerline"])[0]
        return {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [url.split("?")[0]], "prefix": prefix},
            }
        }
    raise ValueError(f"CHANNEL_LAYER_URL {url!r}: use memory:// or redis://host:port/db")
