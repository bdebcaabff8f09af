from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from frontend.views import app

# Page routes of the web app. API, websocket, webhook, sandbox and static paths are matched
# before these (ledgerline/urls.py includes this module last).
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="frontend/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", app, name="app"),
    re_path(r"^(?P<path>(?:workflows|templates|runs|dead-letters|connections|reconciliation)(?:/.*)?)$", app),
]
