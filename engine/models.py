"""Durable run state: runs, node runs, their ordered events, trigger state and webhooks.

Runs refer to workflow versions by the string reference ``designer.WorkflowVersion``;
engine code reads the version's document and never imports the designer.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce

from engine.core.states import NodeStatus, RunStatus


class Run(models.Model):
    """One event flowing through one workflow version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexes that lead with a foreign key serve it: no second index of the key alone (each index is
    # one more write per inserted row and per status change, and runs change status several times).
    workflow = models.ForeignKey("designer.Workflow", on_delete=models.CASCADE, related_name="runs", db_index=False)
    workflow_version = models.ForeignKey("designer.WorkflowVersion", on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=20, choices=[(s.value, s.value) for s in RunStatus], default=RunStatus.PENDING)
    trigger_node_id = models.CharField(max_length=64, blank=True, default="")
    #: The event's id at its source; unique per workflow and trigger node (deduplication).
    event_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001 - NULL: no key, no uniqueness
    input = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    #: Set on child runs made by a fan-out, and on retries/replays.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children", db_index=False
    )
    #: For a replay: node outputs before this node are copied from ``parent``.
    replay_from_node = models.CharField(max_length=64, blank=True, default="")
    triggered_by = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: When a WAITING run should be picked up again.
    wake_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    #: How many times a worker died while holding this run (poison detection).
    crash_count = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveIntegerField(default=0)
    #: For replays with an edited item: ``{node_id: item}`` used instead of the upstream output.
    input_overrides = models.JSONField(default=dict, blank=True)
    #: How a failed run left the dead-letter queue: "" (still in it), "replayed" or "discarded".
    resolution = models.CharField(max_length=20, blank=True, default="")
    resolution_note = models.TextField(blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "trigger_node_id", "event_key"],
                condition=Q(event_key__isnull=False),
                name="unique_run_per_event",
            )
        ]
        indexes = [
            models.Index(fields=["workflow", "-created_at"]),
            # Not with the lease columns: a claim then changes no indexed column, and PostgreSQL can
            # update the row in place (a "HOT" update: no new entry in any index).
            models.Index(fields=["status"], name="engine_run_status"),
            # Only child runs (fan-outs, retries, replays) have a parent.
            models.Index(fields=["parent"], name="engine_run_parent", condition=Q(parent__isnull=False)),
            # The runs workers look for (engine.leases.claim_due): unfinished ones by when they are
            # due, so runs waiting for later sit at the end of the index instead of in the way.
            models.Index(
                Coalesce("wake_at", "created_at"),
                name="engine_run_due",
                condition=Q(status__in=["pending", "running", "waiting"]),
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"


class NodeRun(models.Model):
    """One node's execution within a run (all its attempts)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="node_runs", db_index=False)
    node_id = models.CharField(max_length=64)
    node_type = models.CharField(max_length=200)
    status = models.CharField(
        max_length=20, choices=[(s.value, s.value) for s in NodeStatus], default=NodeStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    #: Times the node waited for a rate limit or an open breaker (these are not attempts).
    waits = models.PositiveIntegerField(default=0)
    input = models.JSONField(null=True, blank=True)
    #: ``{port: value}`` for the ports the node emitted on.
    output = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    logs = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["run", "node_id"], name="unique_node_run")]

    def __str__(self) -> str:
        return f"{self.node_id} of run {self.run_id} ({self.status})"


class RunEvent(models.Model):
    """An ordered state change of a run; the websocket streams and replays these."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events", db_index=False)
    workflow = models.ForeignKey(
        "designer.Workflow", on_delete=models.CASCADE, related_name="run_events", db_index=False
    )
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=40)
    node_id = models.CharField(max_length=64, blank=True, default="")
    payload = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="unique_event_seq")]
        indexes = [models.Index(fields=["workflow", "id"])]

    def __str__(self) -> str:
        return f"{self.type} #{self.seq} of run {self.run_id}"


class NodeState(models.Model):
    """Durable state of one node of one workflow, shared by all its runs (poll cursors ...)."""

    workflow = models.ForeignKey("designer.Workflow", on_delete=models.CASCADE, related_name="node_states")
    node_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    last_poll_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_poll_error = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workflow", "node_id"], name="unique_node_state")]

    def __str__(self) -> str:
        return f"state of {self.node_id} in {self.workflow_id}"


class WebhookEndpoint(models.Model):
    """The unique URL (``/hooks/<token>/``) of one webhook trigger node, and its signing secret."""

    workflow = models.ForeignKey("designer.Workflow", on_delete=models.CASCADE, related_name="webhooks")
    node_id = models.CharField(max_length=64)
    token = models.CharField(max_length=64, unique=True)
    secret_encrypted = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workflow", "node_id"], name="unique_webhook_node")]

    def __str__(self) -> str:
        return f"webhook of {self.node_id} in {self.workflow_id}"


class Effect(models.Model):
    """The effect ledger: one row per side effect, keyed by workflow, node and business key.

    A row is committed as ``started`` before the remote call and becomes
    ``applied`` with the remote's answer after it. A ``started`` row found by a
    later attempt means an earlier worker died in between: the node reconciles
    with the remote (lookup by reference) instead of creating a duplicate.
    """

    class Status(models.TextChoices):
        STARTED = "started", "Started"
        APPLIED = "applied", "Applied"

    key = models.CharField(max_length=64, primary_key=True)
    #: Served by the index that leads with it (see Meta): every index is one more write per entry.
    workflow = models.ForeignKey("designer.Workflow", on_delete=models.CASCADE, related_name="effects", db_index=False)
    node_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=100)
    business_key = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STARTED)
    attempts = models.PositiveIntegerField(default=1)
    remote_id = models.CharField(max_length=200, blank=True, default="")
    result = models.JSONField(null=True, blank=True)
    first_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workflow", "kind", "business_key"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.business_key} ({self.status})"


class BatchItem(models.Model):
    """One run's call to a batchable node, parked until a batch carries it to the remote.

    Runs that reach the same batchable node type with the same connection and
    configuration within the batch window share one ``execute_batch`` call; each
    run gets its own result (or its own failure) back.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a batch"
        CLAIMED = "claimed", "In a batch being sent"
        DONE = "done", "Result ready"

    batch_key = models.CharField(max_length=64)
    node_type = models.CharField(max_length=200)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="batch_items", db_index=False)
    node_id = models.CharField(max_length=64)
    attempt = models.PositiveIntegerField()
    item = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    batch_id = models.CharField(max_length=32, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    #: ``{"output": …}`` or ``{"error": …, "failure_kind": …, "retry_after": …}``, plus ``batch_size``.
    outcome = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "node_id", "attempt"], name="unique_batch_item")]
        indexes = [models.Index(fields=["batch_key", "status", "id"])]

    def __str__(self) -> str:
        return f"{self.node_type} for run {self.run_id} ({self.status})"
