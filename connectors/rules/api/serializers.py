"""REST shapes of mapping tables and currency rates."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework import serializers

from connectors.rules.models import CurrencyRate, MappingEntry, MappingTable
from connectors.rules.rates import currency_code


class EntrySerializer(serializers.Serializer[MappingEntry]):
    key = serializers.CharField(max_length=500)
    value = serializers.CharField(max_length=500, allow_blank=False)


class MappingTableSerializer(serializers.ModelSerializer[MappingTable]):
    """``entries`` on write replaces the table's entries (keys must be unique)."""

    kind = serializers.CharField(max_length=50, required=False, default="other")
    entries = EntrySerializer(many=True, required=False)

    class Meta:
        model = MappingTable
        fields = ["id", "name", "kind", "default_value", "missing_policy", "entries"]
        read_only_fields = ["id"]

    def to_representation(self, instance: MappingTable) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["entries"] = [{"key": e.key, "value": e.value} for e in instance.entries.all()]
        return data

    def validate_name(self, value: str) -> str:
        organization = self.context["organization"]
        clash = MappingTable.objects.filter(organization=organization, name=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("a mapping table with this name exists; choose another name")
        return value

    def validate_entries(self, value: list[dict[str, str]]) -> list[dict[str, str]]:
        keys = [entry["key"] for entry in value]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise serializers.ValidationError(f"keys must be unique; repeated: {', '.join(repeated)}")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        policy = attrs.get("missing_policy", getattr(self.instance, "missing_policy", "review"))
        default = attrs.get("default_value", getattr(self.instance, "default_value", ""))
        if policy == MappingTable.MissingPolicy.DEFAULT and not default:
            raise serializers.ValidationError({"default_value": "the 'default' policy needs a default value"})
        return attrs

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> MappingTable:
        entries = validated_data.pop("entries", [])
        table = MappingTable.objects.create(organization=self.context["organization"], **validated_data)
        MappingEntry.objects.bulk_create([MappingEntry(table=table, **entry) for entry in entries])
        return table

    @transaction.atomic
    def update(self, instance: MappingTable, validated_data: dict[str, Any]) -> MappingTable:
        entries = validated_data.pop("entries", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        if entries is not None:
            instance.entries.all().delete()
            MappingEntry.objects.bulk_create([MappingEntry(table=instance, **entry) for entry in entries])
        return instance


class CurrencyRateSerializer(serializers.ModelSerializer[CurrencyRate]):
    rate = serializers.DecimalField(max_digits=20, decimal_places=10, min_value=None, coerce_to_string=True)

    class Meta:
        model = CurrencyRate
        fields = ["id", "date", "from_currency", "to_currency", "rate", "source"]
        read_only_fields = ["id"]

    def to_representation(self, instance: CurrencyRate) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["rate"] = format(instance.rate.normalize(), "f") if instance.rate is not None else None
        return data

    def _code(self, value: str, name: str) -> str:
        try:
            return currency_code(value, name)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_from_currency(self, value: str) -> str:
        return self._code(value, "from_currency")

    def validate_to_currency(self, value: str) -> str:
        return self._code(value, "to_currency")

    def validate_rate(self, value: Any) -> Any:
        if value is None or value <= 0:
            raise serializers.ValidationError("the rate must be greater than zero")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("from_currency") and attrs.get("from_currency") == attrs.get("to_currency"):
            raise serializers.ValidationError({"to_currency": "must differ from from_currency"})
        organization = self.context["organization"]
        clash = CurrencyRate.objects.filter(
            organization=organization,
            date=attrs["date"],
            from_currency=attrs["from_currency"],
            to_currency=attrs["to_currency"],
        )
        if self.instance is None and clash.exists():
            raise serializers.ValidationError({"date": "a rate for this day and pair exists; change that one"})
        return attrs


class RateImportSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="CSV with a header: date,from_currency,to_currency,rate[,source]")


class ReconciliationQuerySerializer(serializers.Serializer[Any]):
    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": "must be on or after start"})
        if (attrs["end"] - attrs["start"]).days > 366:
            raise serializers.ValidationError({"end": "ask for at most a year at a time"})
        return attrs
