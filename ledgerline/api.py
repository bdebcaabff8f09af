"""Project-wide REST framework hooks."""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus: anything unexpected is logged and answered as a JSON 500.

    The message never echoes the exception text, which could carry secrets.
    """
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
        return Response({"detail": "Internal error; the server log has the details."}, status=500)
    return response
