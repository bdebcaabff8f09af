"""Business-rule data an analyst edits: mapping tables, currency rates, and finance alerts sent."""

from __future__ import annotations

from django.db import models

from orgs.models import Organization


class MappingTable(models.Model):
    """A lookup from a source value (a SKU, a tax jurisdiction, a charge type) to a target value.

    ``missing_policy`` says what happens to a key with no entry: the run waits for
    review, the default value is used, or the run fails (dead-letter queue).
    """

    class MissingPolicy(models.TextChoices):
        REVIEW = "review", "Flag the run for review"
        DEFAULT = "default", "Use the default value"
        FAIL = "fail", "Fail the run"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="mapping_tables")
    name = models.CharField(max_length=200)
    #: ``sku_item``, ``tax_type``, ``charge_account`` or any other word the analyst chooses.
    kind = models.CharField(max_length=50, default="other")
    default_value = models.CharField(max_length=500, blank=True, default="")
    missing_policy = models.CharField(max_length=10, choices=MissingPolicy.choices, default=MissingPolicy.REVIEW)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="unique_mapping_table_name")]

    def __str__(self) -> str:
        return self.name


class MappingEntry(models.Model):
    table = models.ForeignKey(MappingTable, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(max_length=500)
    value = models.CharField(max_length=500)

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["table", "key"], name="unique_mapping_key")]

    def __str__(self) -> str:
        return f"{self.key} → {self.value}"


class CurrencyRate(models.Model):
    """One day's rate: 1 ``from_currency`` = ``rate`` ``to_currency``, with where it came from."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="currency_rates")
    date = models.DateField()
    from_currency = models.CharField(max_length=3)
    to_currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=20, decimal_places=10)
    #: Who published it ("ECB", "XE", "csv:rates-2026-12.csv" ...).
    source = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "from_currency", "to_currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "date", "from_currency", "to_currency"], name="unique_rate_per_day"
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.date} 1 {self.from_currency} = {self.rate} {self.to_currency}"


class FinanceAlert(models.Model):
    """A message sent to the finance contact (unknown account code, tax type ...), once per problem a day."""

    workflow_id = models.CharField(max_length=64)
    #: The problem, e.g. ``account_code:4999``; one alert per workflow, problem and day.
    key = models.CharField(max_length=200)
    day = models.DateField()
    message = models.TextField()
    run_id = models.CharField(max_length=64, blank=True, default="")
    delivery = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["workflow_id", "key", "day"], name="one_finance_alert_a_day")]

    def __str__(self) -> str:
        return self.message
