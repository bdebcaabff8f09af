"""Stepping one claimed run: its ready nodes in topological order, yielding at durability points.

:class:`RunStepper` never writes by itself: each step defers its changes to
the run's :class:`~engine.run_state.RunRecorder`, and :meth:`RunStepper.steps`
yields where they must be written before it goes on — before a side effect
starts, after it succeeded and before the next node, at a wait, at the end.
Whoever drives it (:func:`engine.runner.drive`) writes them, for one run or a
group, and resumes it only when its write was accepted.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Generator, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors.sdk.errors import FailureKind
from connectors.sdk.nodes import RetryPolicy
from connectors.sdk.registry import node_types
from engine import leases
from engine.batching import Call, outcome_of, park
from engine.context import EngineContext
from engine.core.graph import gather_input
from engine.core.retry import retry_delay
from engine.core.states import SETTLED_NODE_STATES, NodeStatus, RunStatus
from engine.dispatch import enqueue_run
from engine.execution import NodeOutcome, execute_node
from engine.fanout import start_child_runs
from engine.models import BatchItem, NodeRun, Run
from engine.run_state import Event, RunRecorder
from engine.versions import load_graph

logger = logging.getLogger(__name__)


class RunStepper:
    """Moves one claimed run forward, one ready node after the other."""

    def __init__(
        self,
        run: Run,
        owner: str,
        *,
        organization_id: int | None = None,
        node_runs: Sequence[NodeRun] | None = None,
    ) -> None:
        self.run = run
        self.owner = owner
        self.organization_id = run.workflow.organization_id if organization_id is None else organization_id
        self.graph = load_graph(run)
        self.state = RunRecorder(run, owner, node_runs)
        #: This run's parked batch calls by ``(node_id, attempt)`` when read ahead for a group.
        self.batch_calls: dict[tuple[str, int], BatchItem] | None = None
        self.missing_types = sorted({spec.type for spec in self.graph.nodes.values() if spec.type not in node_types})
        self.renewed_at = time.monotonic()
        #: A side effect succeeded and its success is not yet written (see :meth:`advance`).
        self._effect_unsaved = False
        self.trigger_node_id = "" if self.missing_types else (run.trigger_node_id or self._default_trigger())

    # -- the loop -----------------------------------------------------------------

    @property
    def node_runs(self) -> dict[str, NodeRun]:
        return self.state.node_runs

    def advance(self) -> None:
        """Advance this run alone (see :func:`engine.runner.drive`)."""
        from engine.runner import drive  # the driver builds steppers: it imports this module

        drive([self])

    def steps(self) -> Iterator[None]:
        """Execute ready nodes; yields where what was recorded must be written before going on.

        The caller writes the recorded changes at each yield and resumes only
        when the write was accepted.
        """
        now = timezone.now()
        if (
            self.run.status == RunStatus.WAITING
            and self.run.wake_at
            and self.run.wake_at > now
            and not self._batch_result_ready()
        ):
            enqueue_run(str(self.run.pk), delay_seconds=(self.run.wake_at - now).total_seconds(), on_commit=False)
            return
        if self.run.crash_count > settings.LEDGERLINE_ENGINE["MAX_RUN_CRASHES"]:
            self._quarantine()
            return
        if self.missing_types:
            message = f"node types {self.missing_types} are not installed on this worker; install their apps and replay"
            self._end(RunStatus.FAILED, error={"kind": "permanent", "code": "unknown_type", "message": message})
            return
        self._mark_running()
        while True:
            node_id = self._next_ready()
            if node_id is None:
                self._end(RunStatus.SUCCEEDED, error=None)
                return
            if self._effect_unsaved:
                # A side effect's success is committed before the next node starts (with the
                # end of the run when it was the last node: one transaction for both).
                yield
                self._effect_unsaved = False
            if self._renewal_due(node_id):
                self.state.defer(run_update={"lease_expires_at": timezone.now() + leases.lease_duration()})
                yield  # the renewal also sees a cancel, or a lease lost to another worker
                self.renewed_at = time.monotonic()
            if not (yield from self._step(node_id)):
                return

    def _renewal_due(self, node_id: str) -> bool:
        """Renew (and see a cancel) a few times per lease while pure nodes run.

        A side-effect node renews with the write of its start, and a batched
        call with the write that parks it; both check the lease and a cancel in
        the same statement (:meth:`_start_node`, :meth:`_step_batched`).
        """
        if not self._pure(node_id):
            return False
        return time.monotonic() - self.renewed_at > leases.lease_duration().total_seconds() / 4

    def _pure(self, node_id: str) -> bool:
        node_type = node_types.get_class(self.graph.nodes[node_id].type)
        return not (node_type.side_effects or node_type.batchable)

    def _next_ready(self) -> str | None:
        """The first unsettled node whose predecessors are settled; skips dead branches on the way."""
        for node_id in self.graph.order:
            if self._settled(node_id) or not all(self._settled(p) for p in self.graph.predecessors(node_id)):
                continue
            if self._is_trigger(node_id):
                if node_id == self.trigger_node_id:
                    return node_id
            elif self._input_for(node_id)[0]:
                return node_id
            self._skip([node_id], reason="no_input")
        return None

    def _step(self, node_id: str) -> Generator[None, None, bool]:
        """Execute one node (yielding before a side effect); returns whether the run goes on now."""
        node_run = self.node_runs.get(node_id)
        retry_at = node_run.next_attempt_at if node_run is not None and node_run.status == NodeStatus.RETRYING else None
        if retry_at is not None and retry_at > timezone.now():
            self._wait_until(retry_at)
            return False
        spec = self.graph.nodes[node_id]
        node_type = node_types.get(spec.type)
        if type(node_type).batchable and settings.LEDGERLINE_ENGINE["BATCH_WINDOW_MS"] > 0:
            return self._step_batched(node_id, type(node_type).retry)
        item = self._item_for(node_id)
        node_run = self._start_node(node_id, spec.type, item)
        if not self._pure(node_id):
            yield  # the start is written before the effect, with the lease renewed and a cancel seen
            self.renewed_at = time.monotonic()
        context = EngineContext(
            run_id=str(self.run.pk),
            workflow_id=str(self.run.workflow_id),
            organization_id=self.organization_id,
            node_id=node_id,
            attempt=node_run.attempts,
            config=spec.config,
            trigger=self.run.input,
            connection_kind=type(node_type).connection_kind,
        )
        outcome = execute_node(node_type, context, item)
        if outcome.succeeded:
            self._node_succeeded(node_run, outcome)
            return True
        return self._node_failed(node_run, outcome, type(node_type).retry)

    def _item_for(self, node_id: str) -> Any:
        if node_id in self.run.input_overrides:
            return self.run.input_overrides[node_id]
        if node_id == self.trigger_node_id:
            return self.run.input
        return self._input_for(node_id)[1]

    def _step_batched(self, node_id: str, policy: Any) -> bool:
        """Park the call for the next batch, or take up its result once the batch has run."""
        spec = self.graph.nodes[node_id]
        node_run = self.node_runs.get(node_id)
        parked = None
        if node_run is None or node_run.status != NodeStatus.RUNNING:
            node_run = self._start_node(node_id, spec.type, self._item_for(node_id))
        else:
            parked = self._parked(node_id, node_run.attempts)
        outcome = outcome_of(parked) if parked is not None else None
        if outcome is None:
            # One transaction parks the call, marks the run waiting and lets go of its lease: the
            # flush cannot see the call before the run waits, nor wake a run whose lease is held.
            # The deadline only guards against a lost wake-up.
            if parked is None:
                call = Call(self.run, node_id, spec.type, node_run.attempts, spec.config, node_run.input)
                self.state.with_write(park, call)
            self._wait_until(timezone.now() + leases.lease_duration(), enqueue=False, release=True)
            return False
        assert parked is not None and parked.outcome is not None
        outcome.logs = parked.outcome.get("logs", [])
        if outcome.succeeded:
            self._node_succeeded(node_run, outcome, batch_size=parked.outcome.get("batch_size"))
            return True
        return self._node_failed(node_run, outcome, policy)

    def _parked(self, node_id: str, attempt: int) -> BatchItem | None:
        if self.batch_calls is not None:
            return self.batch_calls.get((node_id, attempt))
        return BatchItem.objects.filter(run=self.run, node_id=node_id, attempt=attempt).first()

    def _batch_result_ready(self) -> bool:
        """Whether a batch has answered a call this run parked (its flush woke the run early)."""
        running = [nr for nr in self.node_runs.values() if nr.status == NodeStatus.RUNNING]
        if not running:
            return False
        if self.batch_calls is not None:
            calls_of = [self.batch_calls.get((nr.node_id, nr.attempts)) for nr in running]
            return any(call is not None and call.status == BatchItem.Status.DONE for call in calls_of)
        calls = Q()
        for node_run in running:
            calls |= Q(node_id=node_run.node_id, attempt=node_run.attempts)
        return BatchItem.objects.filter(calls, run=self.run, status=BatchItem.Status.DONE).exists()

    # -- state changes --------------------------------------------------------------

    def _mark_running(self) -> None:
        first = self.run.started_at is None
        self.run.started_at = self.run.started_at or timezone.now()
        update = {"status": RunStatus.RUNNING, "wake_at": None, "started_at": self.run.started_at}
        self.state.defer([], [("run.started", "", {})] if first else [], update)

    def _start_node(self, node_id: str, node_type: str, item: Any) -> NodeRun:
        """Record a node's start; a side effect's start also renews the lease (written before the effect)."""
        node_run = self.node_runs.get(node_id) or self._new_node_run(node_id, node_type)
        node_run.status = NodeStatus.RUNNING
        node_run.attempts += 1
        node_run.input = item
        node_run.started_at = node_run.started_at or timezone.now()
        node_run.next_attempt_at = None
        started: list[Event] = [("node.started", node_id, {"attempt": node_run.attempts})]
        renewed = None if self._pure(node_id) else {"lease_expires_at": timezone.now() + leases.lease_duration()}
        self.state.defer([node_run], started, renewed)
        return node_run

    def _node_succeeded(self, node_run: NodeRun, outcome: NodeOutcome, batch_size: int | None = None) -> None:
        node_run.status = NodeStatus.SUCCEEDED
        node_run.output = outcome.output
        node_run.error = None
        node_run.logs = [*node_run.logs, *outcome.logs]
        node_run.finished_at = timezone.now()
        events: list[Event] = [("node.log", node_run.node_id, entry) for entry in outcome.logs]
        payload: dict[str, Any] = {"attempt": node_run.attempts, "duration_ms": outcome.duration_ms}
        if batch_size is not None:
            payload["batch_size"] = batch_size
        if outcome.fanout is None:
            events.append(("node.succeeded", node_run.node_id, payload))
            self.state.defer([node_run], events)
            self._effect_unsaved = self._effect_unsaved or not self._pure(node_run.node_id)
            return
        with transaction.atomic():
            # Children copy this run's finished nodes: they must be written first.
            self.state.write([node_run], events)
            children = start_child_runs(self.run, self.graph, node_run, outcome.fanout)
            payload["child_runs"] = len(children)
            descendants = self.graph.descendants(node_run.node_id)
            self._skip([n for n in self.graph.order if n in descendants and not self._settled(n)], reason="fanned_out")
            self.state.write(events=[("node.succeeded", node_run.node_id, payload)])

    def _node_failed(self, node_run: NodeRun, outcome: NodeOutcome, policy: RetryPolicy) -> bool:
        kind = outcome.failure_kind
        delay = None
        if kind == FailureKind.RATE_LIMITED:
            # Waiting for a budget is not a failed attempt: count it as a wait instead.
            node_run.attempts = max(0, node_run.attempts - 1)
            node_run.waits += 1
            if node_run.waits <= policy.max_waits:
                delay = (
                    outcome.retry_after if outcome.retry_after is not None else min(policy.max_delay, policy.base_delay)
                )
        elif kind == FailureKind.TRANSIENT:
            delay = retry_delay(policy, node_run.attempts, outcome.retry_after)
        now = timezone.now()
        node_run.error = outcome.error
        node_run.logs = [*node_run.logs, *outcome.logs]
        if delay is not None:
            node_run.status = NodeStatus.RETRYING
            node_run.next_attempt_at = now + dt.timedelta(seconds=delay)
            retrying = {"attempt": node_run.attempts, "delay_seconds": round(delay, 3), "error": outcome.error}
            self.state.defer([node_run], [("node.retrying", node_run.node_id, retrying)])
            self._wait_until(node_run.next_attempt_at)
            return False
        if kind == FailureKind.TRANSIENT and outcome.error is not None:
            node_run.error = {**outcome.error, "gave_up_after_attempts": node_run.attempts}
        elif kind == FailureKind.RATE_LIMITED and outcome.error is not None:
            node_run.error = {**outcome.error, "gave_up_after_waits": node_run.waits}
        node_run.status = NodeStatus.FAILED
        node_run.finished_at = now
        self.state.defer(
            [node_run], [("node.failed", node_run.node_id, {"attempt": node_run.attempts, "error": node_run.error})]
        )
        final = RunStatus.REVIEW if kind == FailureKind.REVIEW else RunStatus.FAILED
        self._end(final, error={"node_id": node_run.node_id, **(node_run.error or {})})
        return False

    def _wait_until(self, when: dt.datetime, *, enqueue: bool = True, release: bool = False) -> None:
        waiting: list[Event] = [("run.waiting", "", {"until": when.isoformat()})]
        update: dict[str, Any] = {"status": RunStatus.WAITING, "wake_at": when}
        if release:
            update.update(lease_owner="", lease_expires_at=None)
        self.state.defer(events=waiting, run_update=update)
        if enqueue:
            run_id = str(self.run.pk)

            def wake_up() -> None:
                enqueue_run(run_id, delay_seconds=max(0.0, (when - timezone.now()).total_seconds()), on_commit=False)

            self.state.after_commit(wake_up)

    def _end(self, status: RunStatus, *, error: dict[str, Any] | None) -> None:
        now = timezone.now()
        payload: dict[str, Any] = {"duration_ms": round((now - (self.run.started_at or now)).total_seconds() * 1000, 3)}
        if error:
            payload["error"] = error
        self.state.defer(
            events=[(f"run.{status.value}", "", payload)],
            run_update={
                "status": status, "error": error, "finished_at": now, "wake_at": None,
                "lease_owner": "", "lease_expires_at": None,
            },
        )  # fmt: skip

    def _quarantine(self) -> None:
        self._end(
            RunStatus.DEAD,
            error={
                "kind": "poison",
                "code": "quarantined",
                "message": f"the run stopped its worker {self.run.crash_count} times and was quarantined; "
                "inspect it and replay it once the cause is fixed",
            },
        )

    def _new_node_run(self, node_id: str, node_type: str) -> NodeRun:
        """A node run not stored yet, tied to its run by id (assigning the run itself costs
        Django's relation checks, once for every node of every run)."""
        return NodeRun(run_id=self.run.pk, node_id=node_id, node_type=node_type)

    def _skip(self, node_ids: list[str], reason: str) -> None:
        """Mark nodes skipped; written with the next change (skips are pure)."""
        skipped = []
        for node_id in node_ids:
            node_run = self.node_runs.get(node_id) or self._new_node_run(node_id, self.graph.nodes[node_id].type)
            node_run.status = NodeStatus.SKIPPED
            skipped.append(node_run)
        self.state.defer(skipped, [("node.skipped", node_id, {"reason": reason}) for node_id in node_ids])

    # -- reading the graph ----------------------------------------------------------

    def _default_trigger(self) -> str:
        triggers = [node_id for node_id in self.graph.order if self._is_trigger(node_id)]
        manual = [n for n in triggers if node_types.get_class(self.graph.nodes[n].type).trigger_kind() == "manual"]
        return (manual or triggers or [""])[0]

    def _is_trigger(self, node_id: str) -> bool:
        return node_types.get_class(self.graph.nodes[node_id].type).is_trigger()

    def _settled(self, node_id: str) -> bool:
        node_run = self.node_runs.get(node_id)
        return node_run is not None and node_run.status in SETTLED_NODE_STATES

    def _input_for(self, node_id: str) -> tuple[bool, Any]:
        outputs = {
            nid: nr.output or {}
            for nid, nr in self.node_runs.items()
            if nr.status == NodeStatus.SUCCEEDED and nr.output is not None
        }
        ports = [port.name for port in node_types.get_class(self.graph.nodes[node_id].type).inputs]
        return gather_input(self.graph.incoming(node_id), outputs, ports)
