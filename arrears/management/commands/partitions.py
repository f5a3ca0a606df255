"""Create the audit trails' month partitions from this month to --months ahead (default: the
`partitions.months_ahead` setting) and list them. Idempotent: the daily beat task does the
same. Run it as the tables' owner where the application's role has grants only."""

from __future__ import annotations

import argparse
import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.utils.translation import gettext as _

from arrears import retention


def _month(text: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(_("月份格式应为 YYYY-MM：%(t)s") % {"t": text}) from exc


class Command(BaseCommand):
    help = "创建审计记录表的月分区并列出 / Create and list the audit trails' month partitions"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--months", type=int, help="months ahead of this one to create")
        parser.add_argument(
            "--since",
            type=_month,
            help="also every month from this one (YYYY-MM), e.g. after loading old rows",
        )
        parser.add_argument(
            "--list", action="store_true", dest="only_list", help="only list, create nothing"
        )

    def handle(
        self,
        *args: Any,
        months: int | None,
        since: datetime.date | None,
        only_list: bool,
        **options: Any,
    ) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("not PostgreSQL: the tables are not partitioned")
            return
        if months is not None and not 0 <= months <= 24:
            raise CommandError(_("--months 必须在 0 到 24 之间"))
        if not only_list:
            try:
                created = retention.partitions_ensure(months_ahead=months, since=since)
            except DatabaseError as exc:
                raise CommandError(
                    _("无法创建分区（需要表的所有者权限）：%(e)s") % {"e": exc}
                ) from exc
            for name in created:
                self.stdout.write(f"created {name}")
            if not created:
                self.stdout.write("all partitions exist")
        for table in retention.PARTITIONED:
            for part in retention.partitions_list(table):
                self.stdout.write(f"{part.name}\t~{part.rows} rows\t{part.bounds}")
