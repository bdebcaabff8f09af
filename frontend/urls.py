from django.contrib.auth import views as auth_views
from django.urls import path, re_path
from django.views.generic import RedirectView

from frontend.views import app, connection_returned

# Page routes of the web app. API, websocket, webhook, sandbox and static paths are matched
# before these (ledgerline/urls.py includes this module last).
PAGES = "workflows|templates|runs|review|dead-letters|connections|mappings|reconciliation|alerts"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="frontend/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The OAuth callback returns the browser here; the Connections page shows the outcome.
    path("app/connections/<uuid:connection_id>", connection_returned, name="connection-returned"),
    path("app/", RedirectView.as_view(url="/", permanent=False)),
    path("", app, name="app"),
    re_path(rf"^(?P<path>(?:{PAGES})(?:/.*)?)$", app),
]
