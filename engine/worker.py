"""The embedded mode's in-process worker and scheduler threads."""

from __future__ import annotations

import logging
import threading

import dramatiq
from django.conf import settings
from django.db import close_old_connections

from engine import scheduler

logger = logging.getLogger(__name__)


def start_embedded_worker(threads: int = 2) -> dramatiq.Worker:
    """Consume the stub broker's queues in this process (the embedded mode)."""
    import engine.tasks  # noqa: F401  (declares the actors on the broker)

    broker = dramatiq.get_broker()
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    logger.info("in-process worker started with %d threads", threads)
    return worker


class SchedulerThread(threading.Thread):
    """Calls :func:`engine.scheduler.tick` every few seconds until stopped."""

    def __init__(self, interval: float | None = None) -> None:
        super().__init__(name="ledgerline-scheduler", daemon=True)
        self.interval = interval or settings.LEDGERLINE_ENGINE["SCHEDULER_TICK_SECONDS"]
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                scheduler.tick()
            except Exception:
                logger.exception("scheduler tick failed")
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
