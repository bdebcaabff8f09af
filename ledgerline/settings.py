"""Django settings. Everything that differs between installs comes from the environment.

Embedded mode (the default): SQLite, an in-process Dramatiq worker on a stub
broker, the in-memory channel layer. Scale-out mode: set ``DATABASE_URL``,
``BROKER_URL`` and ``CHANNEL_LAYER_URL``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ledgerline.env import (
    broker_config,
    channel_layer_config,
    database_config,
    env_bool,
    env_list,
    persistent_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("LEDGERLINE_DATA_DIR", BASE_DIR / "data"))

SECRET_KEY = os.environ.get("LEDGERLINE_SECRET_KEY") or persistent_secret(DATA_DIR / "secret_key")
#: Keys that encrypt connection secrets; the first encrypts, all decrypt (rotation).
LEDGERLINE_ENCRYPTION_KEYS = env_list("LEDGERLINE_ENCRYPTION_KEY", []) or [
    persistent_secret(DATA_DIR / "encryption_key")
]
DEBUG = env_bool("LEDGERLINE_DEBUG", False)
ALLOWED_HOSTS = env_list("LEDGERLINE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("LEDGERLINE_CSRF_TRUSTED_ORIGINS", ["http://127.0.0.1:8000", "http://localhost:8000"])
#: The address people and remote systems use to reach this server (webhook URLs, OAuth callbacks).
LEDGERLINE_PUBLIC_URL = os.environ.get("LEDGERLINE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
#: Where ``serve`` also serves the local API sandboxes, keeping headers with underscores (Walmart's),
#: which daphne drops. Empty: no such server (sandbox connections then use the public URL).
LEDGERLINE_SANDBOX_URL = os.environ.get("LEDGERLINE_SANDBOX_URL", "http://127.0.0.1:8001").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "channels",
    "django_dramatiq",
    "orgs",
    "connectors.sdk",
    "engine",
    "designer",
    "monitoring",
    "connectors.builtin",
    "connectors.walmart",
    "connectors.xero",
    "connectors.rules",
    "frontend",
    *env_list("LEDGERLINE_EXTRA_APPS", []),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ledgerline.urls"
ASGI_APPLICATION = "ledgerline.asgi.application"
WSGI_APPLICATION = "ledgerline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": database_config(os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'ledgerline.sqlite3'}")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

BROKER_URL = os.environ.get("BROKER_URL", "stub://")
DRAMATIQ_BROKER = broker_config(BROKER_URL, os.environ.get("LEDGERLINE_BROKER_NAMESPACE", "ledgerline"))
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]
#: How often an idle worker looks at its queues again, at most (engine.db.PromptPollingMiddleware).
LEDGERLINE_WORKER_POLL_MS = int(os.environ.get("LEDGERLINE_WORKER_POLL_MS", "50"))
#: Run a Dramatiq worker inside the web process (embedded mode, stub broker only).
LEDGERLINE_EMBEDDED_WORKER = env_bool("LEDGERLINE_EMBEDDED_WORKER", BROKER_URL.startswith("stub:"))

CHANNEL_LAYERS = channel_layer_config(os.environ.get("CHANNEL_LAYER_URL", "memory://"))
#: Where rate-limit budgets and circuit breakers live: Redis in scale-out, memory in embedded mode.
LEDGERLINE_SHARED_STATE_URL = os.environ.get("LEDGERLINE_SHARED_STATE_URL") or os.environ.get(
    "CHANNEL_LAYER_URL", "memory://"
)
LEDGERLINE_SHARED_STATE_PREFIX = os.environ.get("LEDGERLINE_SHARED_STATE_PREFIX", "ledgerline")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it even before collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "ledgerline.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ledgerline API",
    "DESCRIPTION": "Workflows, runs, node types and connections of a Ledgerline install.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

#: Targets the HTTP request node may reach besides public addresses
#: (CIDRs or host names). Loopback and private ranges are refused unless listed.
LEDGERLINE_HTTP_ALLOWED_PRIVATE = env_list("LEDGERLINE_HTTP_ALLOWED_PRIVATE", [])

#: Engine tuning; see engine/README.md.
LEDGERLINE_ENGINE: dict[str, Any] = {
    "RUN_LEASE_SECONDS": int(os.environ.get("LEDGERLINE_RUN_LEASE_SECONDS", "60")),
    "MAX_RUN_CRASHES": int(os.environ.get("LEDGERLINE_MAX_RUN_CRASHES", "5")),
    "SCHEDULER_TICK_SECONDS": float(os.environ.get("LEDGERLINE_SCHEDULER_TICK_SECONDS", "5")),
    #: How long runs may gather at a batchable node before their batch is sent.
    "BATCH_WINDOW_MS": int(os.environ.get("LEDGERLINE_BATCH_WINDOW_MS", "200")),
    #: The most calls one batch carries (a node type may ask for fewer with ``batch_size``).
    "BATCH_MAX_ITEMS": int(os.environ.get("LEDGERLINE_BATCH_MAX_ITEMS", "50")),
    #: The most runs one worker thread claims and advances together (their writes share commits).
    "GROUP_SIZE": int(os.environ.get("LEDGERLINE_GROUP_SIZE", "25")),
    #: The most "runs are due" messages waiting at once (see engine/nudges.py); about the
    #: number of worker threads of the deployment.
    "NUDGE_SLOTS": int(os.environ.get("LEDGERLINE_NUDGE_SLOTS", "16")),
    #: Called on every scheduler tick with the current time (dotted paths).
    "TICK_HOOKS": ["monitoring.services.evaluate_rules"],
}

#: Fault injection for the crash tests, never set in production: a named point
#: (``connectors.sdk.faults.crash_point``) where the process SIGKILLs itself.
LEDGERLINE_CRASH_POINT = os.environ.get("LEDGERLINE_CRASH_POINT", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LEDGERLINE_LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}, "daphne": {"level": "WARNING"}},
}

EMAIL_BACKEND = os.environ.get("LEDGERLINE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
