"""Background job: export the user directory as CSV (who holds which role), for admins."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from accord.core.accounts.models import User
from accord.core.jobs import JobContext, job_handler


@job_handler("accounts.export")
def export_users(context: JobContext) -> dict[str, Any]:
    with context.database.session() as session:
        users = list(session.scalars(select(User).order_by(User.username)))
        rows = [
            (u.username, u.display_name, " ".join(sorted(u.roles)), u.language,
             "active" if u.active else "inactive", u.created_at.isoformat())
            for u in users
        ]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["username", "display_name", "roles", "language", "status", "created_at"])
    total = max(1, len(rows))
    for index, row in enumerate(rows, start=1):
        writer.writerow(row)
        if index % 50 == 0 or index == total:
            context.progress(int(index * 100 / total), f"{index}/{total} users")
    return {"filename": "accord-users.csv", "csv": buffer.getvalue(), "count": len(rows)}
