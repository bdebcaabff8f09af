"""The Xero sandbox's identity service: consent page, token endpoint (PKCE, rotation), connections."""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from connectors.xero.sandbox.http import json_response
from connectors.xero.sandbox.store import CLIENT_ID, CLIENT_SECRET, ORGANISATION_NAME, STORE, TENANT_ID

CONNECTION_ID = "b1c2d3e4-0000-4000-8000-000000000001"


def _oauth_error(error: str, status: int = 400) -> HttpResponse:
    return json_response({"error": error}, status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """The consent page: GET shows it, POST (Allow or Deny) sends the browser back with a code."""
    params = request.GET if request.method == "GET" else request.POST
    redirect_uri, state = params.get("redirect_uri", ""), params.get("state", "")
    if params.get("client_id") != CLIENT_ID or not redirect_uri:
        return HttpResponse("Unknown client or missing redirect_uri.", status=400)
    if params.get("code_challenge_method", "S256") != "S256" or not params.get("code_challenge"):
        return HttpResponse("PKCE with S256 is required.", status=400)
    if request.method == "POST":
        if params.get("decision") != "allow":
            return HttpResponseRedirect(f"{redirect_uri}?{urlencode({'error': 'access_denied', 'state': state})}")
        code = secrets.token_urlsafe(24)
        with STORE.lock:
            STORE.codes[code] = {
                "redirect_uri": redirect_uri,
                "challenge": params["code_challenge"],
                "scope": params.get("scope", ""),
                "expires": time.time() + 300,
            }
        return HttpResponseRedirect(
            f"{redirect_uri}?{urlencode({'code': code, 'state': state, 'scope': params.get('scope', '')})}"
        )
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(str(v))}">' for k, v in params.items()
    )
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in params.get("scope", "").split())
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Xero (sandbox) - Allow access</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;color:#1e2a33}}
button{{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem;border-radius:4px;border:1px solid #0b6e99}}
.allow{{background:#13b5ea;color:#fff}}</style></head>
<body><h1>Ledgerline wants to access</h1><p>Organisation:</p>
<form method="post">{hidden}<label><input type="radio" name="tenant" value="{TENANT_ID}" checked>
{html.escape(ORGANISATION_NAME)}</label>
<p>It will be able to:</p><ul>{scopes}</ul>
<button class="allow" name="decision" value="allow" type="submit">Allow access</button>
<button name="decision" value="deny" type="submit">Cancel</button></form>
<p><small>This is Ledgerline's local Xero sandbox, not Xero.</small></p></body></html>"""
    return HttpResponse(page)


def _client_ok(request: HttpRequest) -> bool:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Basic "):
        client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
    else:
        client_id, secret = request.POST.get("client_id", ""), request.POST.get("client_secret", "")
    return client_id == CLIENT_ID and secret == CLIENT_SECRET


def _issue_tokens() -> dict[str, Any]:
    access, refresh = "sbx." + secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    STORE.access_tokens[access] = time.time() + STORE.access_token_seconds
    STORE.refresh_tokens[refresh] = True
    return {
        "id_token": "",
        "access_token": access,
        "expires_in": STORE.access_token_seconds,
        "token_type": "Bearer",
        "refresh_token": refresh,
        "scope": "openid offline_access accounting.transactions accounting.contacts accounting.settings",
    }


@csrf_exempt
@require_http_methods(["POST"])
def token(request: HttpRequest) -> HttpResponse:
    if not _client_ok(request):
        return _oauth_error("invalid_client", 401)
    grant = request.POST.get("grant_type")
    with STORE.lock:
        if grant == "authorization_code":
            flow = STORE.codes.pop(request.POST.get("code", ""), None)
            if (
                flow is None
                or flow["expires"] < time.time()
                or flow["redirect_uri"] != request.POST.get("redirect_uri")
            ):
                return _oauth_error("invalid_grant")
            verifier = request.POST.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if challenge != flow["challenge"]:
                return _oauth_error("invalid_grant")
            return json_response(_issue_tokens())
        if grant == "refresh_token":
            refresh = request.POST.get("refresh_token", "")
            if not STORE.refresh_tokens.get(refresh):
                return _oauth_error("invalid_grant")
            STORE.refresh_tokens[refresh] = False  # rotation: each refresh token works once
            STORE.refreshes += 1
            return json_response(_issue_tokens())
    return _oauth_error("unsupported_grant_type")


@require_http_methods(["GET"])
def connections(request: HttpRequest) -> HttpResponse:
    auth = request.headers.get("Authorization", "")
    expires = STORE.access_tokens.get(auth[7:] if auth.startswith("Bearer ") else "")
    if expires is None or expires < time.time():
        return json_response({"Title": "Unauthorized", "Status": 401, "Detail": "AuthenticationUnsuccessful"}, 401)
    now = "2026-01-01T00:00:00.0000000"
    return json_response(
        [
            {
                "id": CONNECTION_ID,
                "authEventId": CONNECTION_ID,
                "tenantId": TENANT_ID,
                "tenantType": "ORGANISATION",
                "tenantName": ORGANISATION_NAME,
                "createdDateUtc": now,
                "updatedDateUtc": now,
            }
        ]
    )
