"""Serve the built web app: Django renders the bundle's index.html for every page route."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.csrf import ensure_csrf_cookie

BUNDLE_INDEX = Path(__file__).resolve().parent / "static" / "frontend" / "index.html"

NOT_BUILT = """<!doctype html><title>Ledgerline</title>
<h1>The web app is not built</h1>
<p>Run <code>make run</code> (or <code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>) and reload.
The REST API and its documentation are at <a href="/api/docs/">/api/docs/</a>.</p>"""


@login_required
@ensure_csrf_cookie
def app(request: HttpRequest, path: str = "") -> HttpResponse:
    """Every page of the single-page app; the router in the browser picks the page from the URL."""
    try:
        html = BUNDLE_INDEX.read_text(encoding="utf-8")
    except FileNotFoundError:
        return HttpResponse(NOT_BUILT, status=503)
    response = HttpResponse(html)
    response["Cache-Control"] = "no-cache"
    return response


@login_required
def connection_returned(request: HttpRequest, connection_id: UUID) -> HttpResponseRedirect:
    """Where the OAuth callback sends the browser: the Connections page, with the flow's outcome."""
    params = {"connection": str(connection_id)}
    for key in ("authorized", "error"):
        if request.GET.get(key):
            params[key] = request.GET[key]
    return HttpResponseRedirect(f"/connections?{urlencode(params)}")
