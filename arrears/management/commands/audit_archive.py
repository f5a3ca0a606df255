"""Move audit records older than --before (and past the retention period) into a compressed
JSON-lines file, verify it, then delete them from the database. Never deletes what it has
not written and verified; refuses dates inside the retention period."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears import audit
from arrears.audit_admin import maintenance


class Command(BaseCommand):
    help = "归档并删除超过保存期限的审计记录 / Archive audit records past their retention"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--before", type=datetime.date.fromisoformat, required=True)
        parser.add_argument("--to", type=Path, required=True, help="the .jsonl.gz file to write")

    def handle(self, *args: Any, before: datetime.date, to: Path, **options: Any) -> None:
        try:
            with audit.acting_as(label="command:audit_archive"):
                done = maintenance.audit_archive(before=before, to=to)
        except maintenance.ArchiveRefused as exc:
            raise CommandError(str(exc)) from exc
        if not done:
            self.stdout.write("nothing to archive")
            return
        for item in done:
            self.stdout.write(
                f"{item.table}: {item.count} records (seq {item.first_seq}–{item.last_seq}) "
                f"archived to {to}, anchor {item.last_mac}"
            )
