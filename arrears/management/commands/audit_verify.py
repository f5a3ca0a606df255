"""Walk the audit trails' chains (or an archive file's) and report every changed or removed
record; exits 1 when there is one, so cron and CI notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears import audit
from arrears.audit_admin import maintenance


class Command(BaseCommand):
    help = "校验审计记录的链式校验码 / Verify the audit trails' chained MAC"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--archive", type=Path, help="verify an audit_archive file instead")
        parser.add_argument(
            "--no-alert", action="store_true", help="do not notify administrators on failure"
        )

    def handle(self, *args: Any, archive: Path | None, no_alert: bool, **options: Any) -> None:
        if archive is not None:
            report = maintenance.verify_archive(archive)
            problems = [p.as_dict() for p in report.problems]
            checked = report.checked
        else:
            with audit.acting_as(label="command:audit_verify"):
                row = maintenance.audit_verify_record(alert=not no_alert)
            problems, checked = row.problems, row.checked
            self.stdout.write(f"{checked} records checked in {row.seconds:.1f} s")
        for problem in problems:
            self.stdout.write(
                f"{problem['table']} seq {problem['seq']}: {problem['kind']} {problem['detail']}"
            )
        if problems:
            raise CommandError(f"audit chain broken: {len(problems)} problem(s)", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"OK: {checked} records, chain intact"))
