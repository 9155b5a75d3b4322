"""The embedded re-checker: a thread in `depositdesk serve` that re-checks due investigations."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session

from investigations.rechecks import recheck_due
from investigations.service import Investigator

log = logging.getLogger(__name__)


class Rechecker(threading.Thread):
    def __init__(self, engine: Engine, investigator: Investigator, *, interval: float = 30.0) -> None:
        super().__init__(name="rechecker", daemon=True)
        self.engine = engine
        self.investigator = investigator
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                with Session(self.engine) as session:
                    done = recheck_due(session, self.investigator, now=self.investigator.clock())
                if done:
                    log.info("re-checked %d investigations", len(done))
            except Exception:  # noqa: BLE001 - the loop must survive a bad round
                log.exception("re-check round failed")

    def stop(self) -> None:
        self.stopping.set()
