"""The SLA dashboard on a year of data in PostgreSQL.

    python -m bench.dashboard [--rows 1000000] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Fills a private schema with INSERT … SELECT generate_series: N investigations over 365 days (a
mix of channels and verdicts; 3 % never final), a ticket link and a note for each helpdesk one, one check each
plus re-checks for the non-final ones, and one provider call each (the rollup triggers queue the days
as they would in service). Then rebuilds the daily rollups (`depositdesk dashboard rebuild`), times
the figures from the rollups (median of 5) for today, 7, 30, 365 and 366 days and, as the baseline in
the same run, the reference queries over the source rows (median of 3); then a period whose last day
was just written to (its queued day recomputed on read), and the whole /dashboard page over HTTP.
The schema is dropped at the end.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.lead.sla import period, rollups, stats
from app.main import create_app
from app.runtime.accounts import add_agent
from app.runtime.db import make_engine, migrate
from app.settings import Settings

ROLLUP_TABLES = (
    "sla_dirty_days",
    "sla_day_questions",
    "sla_day_no_hash",
    "sla_day_first_notes",
    "sla_day_automation",
    "sla_day_rechecks",
    "sla_day_providers",
    "sla_month_providers",
    "sla_day_replies",
    "sla_day_reply_times",
    "sla_day_reply_shadow",
)
TABLES = ("investigations", "ticket_links", "ticket_notes", "verdict_events", "provider_exchanges")
FILL = """
INSERT INTO investigations (id, chain, tx_hash, code, final, verdict, evidence, status_token_hash, status_nonce,
                            created_at, final_at, history, channel)
SELECT md5(g::text), 'btc', md5(g::text) || md5('x' || g),
       CASE WHEN g % 100 < 3 THEN (ARRAY['pending','confirming','not_found'])[g % 3 + 1]
            ELSE (ARRAY['credited','confirmed_not_credited','credited','not_our_address','amount_mismatch',
                        'credited','below_minimum'])[g % 7 + 1] END,
       g % 100 >= 3, '{}', '{}', md5('t' || g) || md5('u' || g), 'n',
       :end - (g::bigint * :span / :rows) * interval '1 second',
       CASE WHEN g % 100 < 3 THEN NULL
            WHEN g % 3 = 0 THEN :end - (g::bigint * :span / :rows) * interval '1 second'
            ELSE :end - (g::bigint * :span / :rows) * interval '1 second' + interval '20 minutes' END,
       '[]', (ARRAY['lookup','zendesk','zendesk','freshdesk','chatwoot','api'])[g % 6 + 1]
FROM generate_series(1, :rows) AS g;
INSERT INTO ticket_links (helpdesk, ticket_ref, tx_hash, investigation_id, language, last_noted_code, escalated, received_at)
SELECT channel, id, tx_hash, id, 'en', code, (abs(hashtext(id)) % 40 = 0), created_at
FROM investigations WHERE channel IN ('zendesk', 'freshdesk', 'chatwoot');
INSERT INTO ticket_notes (helpdesk, ticket_ref, marker, investigation_id, code, body, tags, extra, status,
                          tags_status, received_at, created_at, written_at)
SELECT helpdesk, ticket_ref, '[depositdesk ' || investigation_id || ' #1]', investigation_id, last_noted_code, 'note',
       '[]', '{}', 'written', 'done', received_at, received_at,
       received_at + (5 + abs(hashtext(ticket_ref)) % 90) * interval '1 second'
FROM ticket_links;
INSERT INTO verdict_events (investigation_id, at, kind, code, final, previous_code, verdict)
SELECT id, created_at, 'first', code, final, NULL, '{}' FROM investigations;
INSERT INTO verdict_events (investigation_id, at, kind, code, final, previous_code, verdict)
SELECT id, created_at + interval '10 minutes', 'recheck', code, final, 'pending', '{}' FROM investigations
WHERE final_at > created_at OR NOT final;
INSERT INTO provider_exchanges (investigation_id, check_id, at, provider, method, url, status, answered, latency_ms)
SELECT id, NULL, created_at, (ARRAY['mempool.space','blockstream.info','ethereum-rpc.publicnode.com'])[abs(hashtext(id)) % 3 + 1],
       'GET', 'https://mempool.space/api/tx/x', 200, abs(hashtext(id)) % 50 <> 0, 40 + abs(hashtext(tx_hash)) % 400
FROM investigations;
"""


def _median_ms(action, runs: int = 5) -> float:  # type: ignore[no-untyped-def]
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


PERIODS = (("today", 1), ("7 days", 7), ("30 days", 30), ("365 days", 365), ("366 days", 366))


def _figures_ms(engine, today: date, now: datetime, *, reference: bool) -> dict[str, float]:  # type: ignore[no-untyped-def]
    timings = {}
    for name, days in PERIODS:
        chosen = period.Period(today - timedelta(days=days - 1), today)
        with Session(engine) as session:
            timings[name] = _median_ms(
                lambda s=session, c=chosen: stats.compute(s, c, stats.Targets(), now, reference=reference),
                3 if reference else 5,
            )
    return timings


def _same_figures(engine, today: date, now: datetime) -> bool:  # type: ignore[no-untyped-def]
    chosen = period.Period(today - timedelta(days=365), today)
    with Session(engine) as session:
        return stats.compute(session, chosen, stats.Targets(), now) == stats.compute(
            session, chosen, stats.Targets(), now, reference=True
        )


def _after_a_write_ms(engine, today: date, now: datetime) -> float:  # type: ignore[no-untyped-def]
    """A year whose last day has just had an investigation changed: that day is recomputed first."""
    chosen = period.Period(today - timedelta(days=365), today)

    def touch_and_read() -> None:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "UPDATE investigations SET code = 'credited', final_at = created_at WHERE id = ("
                    "SELECT id FROM investigations WHERE created_at >= :today ORDER BY created_at LIMIT 1)"
                ),
                {"today": datetime.combine(today, datetime.min.time(), tzinfo=UTC)},
            )
        with Session(engine) as session:
            started = time.perf_counter()
            stats.compute(session, chosen, stats.Targets(), now)
            timings.append((time.perf_counter() - started) * 1000)

    timings: list[float] = []
    for _ in range(5):
        touch_and_read()
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    schema = f"dd_bench_{secrets.token_hex(4)}"
    admin = make_engine(args.postgres)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{args.postgres}?options=-csearch_path%3D{schema}")
    try:
        migrate(engine)
        now = datetime.now(UTC).replace(microsecond=0)
        started = time.perf_counter()
        with engine.begin() as connection:
            for statement in filter(str.strip, FILL.split(";")):
                connection.execute(text(statement), {"end": now, "span": 365 * 86400, "rows": args.rows})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in TABLES:  # what autovacuum does in a live database (only our schema's tables)
                connection.execute(text(f"VACUUM ANALYZE {table}"))
            counts = {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in TABLES}
        print(f"filled in {time.perf_counter() - started:.1f} s: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
        started = time.perf_counter()
        days = rollups.rebuild(engine)
        print(f"rebuilt the rollups of {days} days in {time.perf_counter() - started:.1f} s")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in ROLLUP_TABLES:  # the queue's dead rows and the new tables' statistics, as autovacuum would
                connection.execute(text(f"VACUUM ANALYZE {table}"))
        rolled = _figures_ms(engine, now.date(), now, reference=False)
        reference = _figures_ms(engine, now.date(), now, reference=True)
        same = _same_figures(engine, now.date(), now)
        after_write = _after_a_write_ms(engine, now.date(), now)
        settings = Settings(_env_file=None, database_url=args.postgres, secret_key="bench-secret-key-0123456789")
        app = create_app(settings, engine=engine)
        with Session(engine) as session:
            _agent, token = add_agent(session, "lead")
        with TestClient(app) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            page = {}
            for days in (30, 366):
                since = (now.date() - timedelta(days=days - 1)).isoformat()
                page[f"/api/stats {days} days"] = _median_ms(
                    lambda f=since: client.get("/api/stats", params={"from": f})
                )
            client.cookies.clear()
            login = client.post("/login", data={"token": token, "csrf": "x"}, cookies={"dd_csrf": "x"})
            assert login.status_code == 200, login.status_code
            for name in ("7d", "30d"):
                page[f"/dashboard {name}"] = _median_ms(lambda n=name: client.get("/dashboard", params={"period": n}))
            last = client.get("/dashboard", params={"period": "30d"})
            assert last.status_code == 200 and last.text.count('class="chart"') == 6
        print(f"\nfigures, PostgreSQL, {args.rows:,} investigations (identical on 366 days: {same})")
        print(f"{'period':<10} {'rollups ms':>11} {'reference ms':>13} {'ratio':>6}")
        for name, ms in rolled.items():
            print(f"{name:<10} {ms:>11.1f} {reference[name]:>13.1f} {reference[name] / ms:>6.1f}")
        print(f"366 days, its last day just written to: {after_write:.1f} ms")
        print("\nover HTTP (median of 5)")
        for name, ms in page.items():
            print(f"{name:<22} {ms:>8.1f} ms")
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
