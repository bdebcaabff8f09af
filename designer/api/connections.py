"""Connections: CRUD (secrets write-only), test, and the OAuth consent flow."""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connectors.sdk.errors import NodeError
from connectors.sdk.handles import StoredConnection
from connectors.sdk.models import Connection
from connectors.sdk.registry import connection_kinds
from designer.api.serializers import ConnectionSerializer
from orgs.services import organization_for

logger = logging.getLogger(__name__)

#: Session key prefix of a pending consent flow (state → connection and PKCE verifier).
_FLOW_KEY = "oauth-flow:"


def oauth_redirect_uri() -> str:
    return f"{settings.LEDGERLINE_PUBLIC_URL}/connections/oauth/callback/"


class ConnectionKindListView(APIView):
    def get(self, request: Request) -> Response:
        return Response([kind.describe() for kind in connection_kinds.all()])


class ConnectionViewSet(viewsets.ModelViewSet[Connection]):
    serializer_class = ConnectionSerializer

    def get_queryset(self) -> QuerySet[Connection]:
        connections = Connection.objects.filter(organization=organization_for(self.request.user))
        kind = self.request.query_params.get("kind")
        return connections.filter(kind=kind) if kind else connections

    def perform_create(self, serializer: Any) -> None:
        serializer.save(organization=organization_for(self.request.user))

    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        connection = self.get_object()
        handle = StoredConnection(connection)
        try:
            result = connection_kinds.get(connection.kind).test(handle)
        except NodeError as exc:
            handle.set_status(
                Connection.Status.NEEDS_REAUTH if exc.kind == "credential" else Connection.Status.ERROR, exc.message
            )
            return Response({"ok": False, "message": exc.message})
        handle.set_status(
            Connection.Status.CONNECTED if result.ok else Connection.Status.ERROR, "" if result.ok else result.message
        )
        return Response({"ok": result.ok, "message": result.message, "details": result.details})

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"])
    def authorize(self, request: Request, pk: str | None = None) -> Response:
        """Start the consent flow: returns the URL to send the browser to."""
        connection = self.get_object()
        kind = connection_kinds.get(connection.kind)
        if type(kind).auth != "oauth2":
            return Response(
                {"detail": f"{connection.kind} connections do not use a consent flow"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        state = secrets.token_urlsafe(24)
        start = kind.start_authorization(StoredConnection(connection), oauth_redirect_uri(), state)
        request.session[_FLOW_KEY + state] = {"connection": str(connection.pk), "verifier": start.verifier}
        return Response({"url": start.url})


def _app_redirect(connection_id: str, **params: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/app/connections/{connection_id}?{urlencode(params)}")


@login_required
def oauth_callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the browser back; finishes the flow and returns to the app."""
    state = request.GET.get("state", "")
    flow = request.session.pop(_FLOW_KEY + state, None)
    if flow is None:
        return HttpResponse(
            "This authorisation link has expired or was already used. Start again from Connections.", status=400
        )
    connection = Connection.objects.filter(pk=flow["connection"], organization=organization_for(request.user)).first()
    if connection is None:
        return HttpResponse("The connection no longer exists.", status=404)
    handle = StoredConnection(connection)
    if request.GET.get("error"):
        handle.set_status(Connection.Status.NEEDS_REAUTH, f"consent refused: {request.GET.get('error')}")
        return _app_redirect(str(connection.pk), error=request.GET.get("error", "denied"))
    try:
        connection_kinds.get(connection.kind).complete_authorization(
            handle, oauth_redirect_uri(), request.GET.get("code", ""), flow["verifier"]
        )
    except NodeError as exc:
        handle.set_status(Connection.Status.NEEDS_REAUTH, exc.message)
        return _app_redirect(str(connection.pk), error=exc.code)
    handle.set_status(Connection.Status.CONNECTED)
    return _app_redirect(str(connection.pk), authorized="1")
