"""Ledger upsert throughput: how long a back office's bulk upload takes, as a ratio to a plain
INSERT of the same rows in the same run (this machine is noisy; ratios travel, seconds do not).

    python -m bench.ledger_upsert [--rows 20000] [--database-url URL]

Prints, for first upload (all new), the same upload again (all unchanged) and an upload where
every row changed: seconds, rows per second, and the ratio to the baseline insert.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

from app.runtime.db import make_engine, migrate
from investigations.ledger import LedgerDeposit, LedgerDepositRecord, upsert_deposits
from investigations.types import utcnow

ADDRESS = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


def _records(count: int, status: str) -> list[LedgerDepositRecord]:
    return [
        LedgerDepositRecord(
            chain="btc",
            tx_hash=f"{i:064x}",
            address=ADDRESS,
            asset="BTC",
            amount=f"0.{i % 10**8:08d}",
            status=status,
            player_ref=f"p-{i % 997}",
            index=0,
        )
        for i in range(count)
    ]


def _timed(engine, work) -> float:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        start = time.perf_counter()
        work(session)
        session.commit()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        pending, credited = _records(args.rows, "pending"), _records(args.rows, "credited")

        def clear(session: Session) -> None:
            session.exec(LedgerDeposit.__table__.delete())  # type: ignore[call-overload]

        rows = [
            {
                "record_key": r.record_key,
                "chain": "btc",
                "tx_hash": r.tx_hash,
                "output_index": r.index,
                "address": r.address,
                "asset": r.asset,
                "amount_base_units": r.amount_base_units,
                "status": r.status,
                "player_ref": r.player_ref,
                "updated_at": utcnow(),
            }
            for r in pending
        ]
        baseline = _timed(engine, lambda s: s.execute(insert(LedgerDeposit), rows))
        _timed(engine, clear)
        results = {
            "first upload (all new)": _timed(engine, lambda s: upsert_deposits(s, pending)),
            "same upload again (unchanged)": _timed(engine, lambda s: upsert_deposits(s, pending)),
            "every row changed": _timed(engine, lambda s: upsert_deposits(s, credited)),
        }
        _timed(engine, clear)
        print(f"database: {engine.dialect.name}, rows: {args.rows}")
        print(f"{'baseline plain INSERT':32} {baseline:7.3f} s {args.rows / baseline:10.0f} rows/s   ratio 1.00")
        for name, seconds in results.items():
            print(f"{name:32} {seconds:7.3f} s {args.rows / seconds:10.0f} rows/s   ratio {seconds / baseline:.2f}")
        engine.dispose()


if __name__ == "__main__":
    main()
