"""Mounted at ``/sandbox/xero/`` by the project."""

from django.urls import path

from connectors.xero.sandbox import books, control, identity

API = "api.xro/2.0/"

urlpatterns = [
    path("identity/connect/authorize", identity.authorize),
    path("identity/connect/token", identity.token),
    path("connections", identity.connections),
    path(API + "Organisation", books.organisation),
    path(API + "Contacts", books.contacts),
    path(API + "Invoices", books.invoices),
    path(API + "Invoices/<str:invoice_id>", books.invoice),
    path(API + "Payments", books.payments),
    path(API + "CreditNotes", books.credit_notes),
    path(API + "CreditNotes/<str:credit_note_id>/Allocations", books.allocations),
    path(API + "Accounts", books.accounts),
    path(API + "TaxRates", books.tax_rates),
    path(API + "TrackingCategories", books.tracking_categories),
    path(API + "Currencies", books.currencies),
    path(API + "Items", books.items),
    path("_control/reset", control.reset),
    path("_control/faults", control.faults),
    path("_control/limits", control.limits),
    path("_control/stats", control.stats),
]
