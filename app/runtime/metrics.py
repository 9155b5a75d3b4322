"""Prometheus figures: webhook → note latency, notes by verdict, queue depth, dead letters, retries."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.engine import Engine
from sqlmodel import Session

REGISTRY = CollectorRegistry()
WEBHOOK_TO_NOTE = Histogram(
    "depositdesk_webhook_to_note_seconds",
    "From a webhook's arrival to its note written on the ticket",
    buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
    registry=REGISTRY,
)
NOTES = Counter(
    "depositdesk_notes_written_total", "Notes written to helpdesks", ["helpdesk", "verdict"], registry=REGISTRY
)
WEBHOOKS = Counter("depositdesk_webhooks_total", "Webhooks received", ["helpdesk", "outcome"], registry=REGISTRY)
RETRIES = Counter(
    "depositdesk_job_retries_total", "Job attempts that failed and were scheduled again", ["kind"], registry=REGISTRY
)
AUDIT_BLOCKS = Counter(
    "depositdesk_audit_blocks_scanned_total", "Blocks the deposit auditor matched", ["chain"], registry=REGISTRY
)


class QueueCollector:
    """Queue depth and dead letters, read from the database at scrape time (shared by all processes)."""

    engine: Engine | None = None  # the newest app's engine (tests build several apps in one process)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from app.runtime.jobs import depth

        gauge = GaugeMetricFamily("depositdesk_jobs", "Jobs by status", labels=["status"])
        with Session(self.engine) as session:
            for status, count in depth(session).items():
                gauge.add_metric([status], count)
            yield gauge
            yield from _audit_gauges(session)


def _audit_gauges(session: Session) -> Iterator[GaugeMetricFamily]:
    """Open findings by code and each follower's lag behind the tip, shared by every process."""
    from sqlalchemy import func
    from sqlmodel import select

    from investigations.audit.models import OPEN, AuditCursor, Finding

    findings = GaugeMetricFamily("depositdesk_audit_open_findings", "Open auditor findings", labels=["code"])
    for code, count in session.exec(
        select(Finding.code, func.count()).where(Finding.status == OPEN).group_by(Finding.code)
    ):
        findings.add_metric([code], count)
    yield findings
    lag = GaugeMetricFamily("depositdesk_audit_follower_lag_blocks", "Blocks behind the tip", labels=["chain"])
    for row in session.exec(select(AuditCursor)):
        if row.height is not None and row.tip_height is not None:
            lag.add_metric([row.chain], max(0, row.tip_height - row.height))
    yield lag


def register_queue(engine: Engine) -> None:
    QueueCollector.engine = engine
    try:
        REGISTRY.register(QueueCollector())  # type: ignore[arg-type]
    except ValueError:
        pass  # one collector per process is enough: a later app (tests) shares it
