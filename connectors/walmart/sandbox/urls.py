"""Mounted at ``/sandbox/walmart/`` by the project (and by ``serve`` on its own port)."""

from django.urls import path

from connectors.walmart.sandbox import control, feeds, returns, views

urlpatterns = [
    path("v3/token", views.token),
    path("v3/orders", views.orders),
    path("v3/orders/<str:purchase_order_id>", views.order),
    path("v3/orders/<str:purchase_order_id>/acknowledge", views.acknowledge),
    path("v3/orders/<str:purchase_order_id>/shipping", views.ship),
    path("v3/orders/<str:purchase_order_id>/cancel", views.cancel),
    path("v3/orders/<str:purchase_order_id>/refund", views.refund),
    path("v3/inventory", views.inventory),
    path("v3/returns", returns.returns),
    path("v3/price", feeds.price),
    path("v3/feeds", feeds.feeds),
    path("v3/feeds/<str:feed_id>", feeds.feed),
    path("_control/seed", control.seed),
    path("_control/orders", control.create_order),
    path("_control/reset", control.reset),
    path("_control/faults", control.faults),
    path("_control/limits", control.limits),
    path("_control/stats", control.stats),
]
