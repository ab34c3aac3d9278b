"""The ledger's one sequence stays gap-free with writers in several processes.

Two OS processes append at the same time, each the way its role does: the web process's
gateway appends inside its own write transaction (with the decision row), the worker and the
CLI group-commit with ``append_now``; both have checkpoints signed as they go (every 8 entries,
inline or on their checkpoint threads), as the minute job does in a worker while the web
appends. The result must be one sequence 0..N-1, every acknowledged number stored exactly
once, no "database is locked", and a ledger that verifies against every signed checkpoint.
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from accord.core.gateway.models import LedgerCheckpoint, LedgerEntry
from accord.core.governance import get_governance
from accord.core.ledger.store import LedgerService

PER_PROCESS = 60

WRITER = """
import sys
from accord.core.governance import get_governance
ledger = get_governance().ledger
database = ledger.database
name, count = sys.argv[1], int(sys.argv[2])
for number in range(count):
    fields = {"actor": f"process:{name}", "explanation": f"{name} {number}"}
    if number % 2:
        seq = ledger.append_now("decision", fields)  # worker / CLI path
    else:
        with database.write_connection() as connection:  # web path: the gateway's transaction
            seq = ledger.append(connection, "decision", fields)
        ledger.checkpoint_if_due(seq)
    print(seq, flush=True)
"""


def test_two_processes_append_one_gap_free_sequence(accord_env: dict[str, str]) -> None:
    governance = get_governance()  # creates the keys both processes then share
    env = {**os.environ, **accord_env, "ACCORD_LEDGER_CHECKPOINT_EVERY": "8"}
    processes = [subprocess.Popen([sys.executable, "-c", WRITER, name, str(PER_PROCESS)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                  text=True) for name in ("web", "worker")]
    outputs = [process.communicate(timeout=120) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr[-2000:]
    acknowledged = [int(line) for stdout, _ in outputs for line in stdout.split()]
    assert sorted(acknowledged) == list(range(2 * PER_PROCESS))

    database = governance.ledger.database
    with database.session() as session:
        stored = list(session.scalars(select(LedgerEntry.seq).order_by(LedgerEntry.seq)))
        sizes = list(session.scalars(select(LedgerCheckpoint.size)
                                     .order_by(LedgerCheckpoint.size)))
    assert stored == list(range(2 * PER_PROCESS))
    # Signed as they went (each covering what was committed by then; one signed on a
    # checkpoint thread may cover more than 8), and each process signed or waited for the
    # checkpoint its last appends made due before it exited.
    assert len(sizes) >= 3
    assert sizes[-1] > 2 * PER_PROCESS - 8
    fresh = LedgerService(database, governance.ledger.signer, governance.ledger.origin)
    fresh.checkpoint()
    report = fresh.verify()
    assert report.ok, report.reason
