from __future__ import annotations

from typing import Any

from connectors.rules.address import contact_key, country_code, normalise_email, split_name, xero_address
from connectors.rules.nodes.common import get_path
from connectors.sdk import NodeType, register


@register
class NormaliseContact(NodeType):
    """Cleans a buyer for the books: ISO country, formatted postcode, person/company split, dedup key.

    The output is what ``Find or create contact`` takes: found by email first,
    then by ``external_id`` (generated from name, postcode and country when
    ``generate_external_id`` is on, so the same buyer is one contact).
    """

    type = "rules.contact.normalise"
    title = "Normalise contact"
    category = "Business rules"
    icon = "user-check"
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name_field": {"type": "string", "title": "Name field", "default": "name"},
            "email_field": {"type": "string", "title": "Email field", "default": "email"},
            "address_field": {"type": "string", "title": "Address field", "default": "address"},
            "generate_external_id": {
                "type": "boolean",
                "title": "Generate the external id from name and address",
                "default": True,
            },
            "external_id_prefix": {"type": "string", "title": "External id prefix", "default": "WM-"},
        },
    }
    sample_input = {
        "name": "Ana Ruiz c/o Ruiz Imports",
        "email": "Ana@Example.com ",
        "address": {"address1": "77 Elm St", "city": "Austin", "state": "tx", "postalCode": "78701", "country": "USA"},
    }

    def execute(self, context: Any, item: Any) -> Any:
        config = context.config
        address = get_path(item, config.get("address_field", "address")) or {}
        names = split_name(get_path(item, config.get("name_field", "name")))
        result: dict[str, Any] = {**item, **{k: v for k, v in names.items() if v}}
        email = normalise_email(get_path(item, config.get("email_field", "email")))
        result["email"] = email or None
        if isinstance(address, dict) and address:
            result["address"] = xero_address(address)
        if config.get("generate_external_id", True):
            result["external_id"] = contact_key(
                names["name"],
                address.get("postalCode") or address.get("postal_code") if isinstance(address, dict) else "",
                country_code(address.get("country")) if isinstance(address, dict) else "",
                prefix=str(config.get("external_id_prefix", "WM-")),
            )
        return result
