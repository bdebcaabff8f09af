from __future__ import annotations

from typing import Any

from connectors.sdk import NodeType, PermanentError, register
from connectors.sdk.faults import crash_point
from connectors.xero.client import quote
from connectors.xero.nodes.common import CONNECTION_FIELD, XERO_RETRY, client_for


@register
class FindOrCreateContact(NodeType):
    """The buyer's Xero contact: found by email, then by external id (ContactNumber), else created once.

    A name already used by another active contact gets the external id added,
    so one buyer never becomes two contacts and two buyers never share one.
    """

    type = "xero.contact.find_or_create"
    title = "Find or create Xero contact"
    category = "Xero"
    icon = "user"
    connection_kind = "xero"
    side_effects = True
    retry = XERO_RETRY
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"connection": CONNECTION_FIELD},
    }
    input_schema = {
        "type": "object",
        "required": ["name", "external_id"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "email": {"type": ["string", "null"]},
            "external_id": {"type": "string", "minLength": 1, "maxLength": 50},
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
            "phone": {"type": "string"},
            "address": {"type": "object"},
        },
    }
    sample_input = {"name": "Kathryn Cole", "email": "kathryn@example.com", "external_id": "WALMART-5281956426648"}

    def execute(self, context: Any, item: Any) -> Any:
        effect = context.effect("contact", item["external_id"])
        if effect.previous is not None:
            return dict(effect.previous)
        client = client_for(context)
        found = self._find(client, item)
        if found is None:
            found = self._create(client, item, effect.key)
            crash_point("xero.contact.after_create")  # test-only fault injection (connectors.sdk.faults)
        effect.record(found, remote_id=found["ContactID"])
        return found

    @staticmethod
    def _find(client: Any, item: Any) -> dict[str, Any] | None:
        if item.get("email"):
            matches = client.get("Contacts", {"where": f"EmailAddress=={quote(item['email'])}"})
            if matches:
                return dict(matches[0])
        matches = client.get("Contacts", {"where": f"ContactNumber=={quote(item['external_id'])}"})
        return dict(matches[0]) if matches else None

    @staticmethod
    def _create(client: Any, item: Any, key: str) -> dict[str, Any]:
        element: dict[str, Any] = {"Name": item["name"], "ContactNumber": item["external_id"], "IsCustomer": True}
        for source, target in (("email", "EmailAddress"), ("first_name", "FirstName"), ("last_name", "LastName")):
            if item.get(source):
                element[target] = item[source]
        if item.get("phone"):
            element["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": item["phone"]}]
        if item.get("address"):
            element["Addresses"] = [{"AddressType": "STREET", **item["address"]}]
        try:
            return client.create_one("Contacts", element, key)
        except PermanentError as exc:
            if "already assigned to another contact" not in exc.message:
                raise
            element["Name"] = f"{item['name']} ({item['external_id']})"
            return client.create_one("Contacts", element, key + ":renamed")
