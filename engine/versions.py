"""Workflow versions never change once saved: each process keeps the ones it runs.

The engine reads a version's document per run and per webhook delivery; here
the document is read from the database once per process, and its parsed graph
is kept with it (no re-serialising the document to key a cache). Entries are
keyed by the version's id *and* its creation time, so a database whose ids
start again (a test database, a restored backup) never gets another version's
document.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from typing import Any

from engine.core.graph import WorkflowGraph, parse_document
from engine.models import Run

#: How many versions a process keeps.
CACHE_SIZE = 256

Key = tuple[int, dt.datetime]

_lock = threading.Lock()
_versions: OrderedDict[Key, Any] = OrderedDict()
_graphs: dict[Key, WorkflowGraph] = {}


def version_model() -> Any:
    return Run._meta.get_field("workflow_version").related_model


def _key(version: Any) -> Key:
    return (int(version.pk), version.created_at)


def remember(version: Any) -> Any:
    """Keep ``version`` (as loaded) for later callers; returns the kept instance."""
    key = _key(version)
    with _lock:
        kept = _versions.setdefault(key, version)
        _versions.move_to_end(key)
        while len(_versions) > CACHE_SIZE:
            old, _ = _versions.popitem(last=False)
            _graphs.pop(old, None)
    return kept


def get_version(version_id: int, created_at: dt.datetime) -> Any:
    """The version ``version_id`` created at ``created_at``, from memory or the database.

    The same instance is handed to every caller of this process: never change it.
    """
    with _lock:
        found = _versions.get((version_id, created_at))
        if found is not None:
            return found
    return remember(version_model().objects.get(pk=version_id))


def graph_of(version: Any) -> WorkflowGraph:
    """The parsed graph of ``version``, parsed once per process."""
    key = _key(version)
    graph = _graphs.get(key)
    if graph is None:
        graph = parse_document(version.document)
        with _lock:
            if len(_graphs) < CACHE_SIZE or key in _versions:
                _graphs[key] = graph
    return graph


def load_graph(run: Run) -> WorkflowGraph:
    """The parsed graph of the version ``run`` runs."""
    return graph_of(remember(run.workflow_version))
