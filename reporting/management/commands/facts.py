"""The dashboards' pre-aggregated facts (reporting/facts.py): rebuild them for whole months
from the records, check them against the records, fold the waiting deltas, or install the
triggers again.

    manage.py facts --check [--from 2026-01 --to 2026-12]   # report differences, change nothing
    manage.py facts --rebuild [--from … --to …]             # replace them, report what differed
    manage.py facts --fold                                   # what beat does every minute
    manage.py facts --install --rebuild                      # after TIME_ZONE or choices change

--check exits with status 1 when a figure differs (for monitoring)."""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from reporting import facts


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(_("月份格式应为 YYYY-MM：%(t)s") % {"t": text}) from exc


class Command(BaseCommand):
    help = "重建或核对统计汇总 / Rebuild or check the dashboards' pre-aggregated facts"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="report differences only")
        parser.add_argument("--rebuild", action="store_true", help="replace from the records")
        parser.add_argument("--fold", action="store_true", help="fold the waiting deltas")
        parser.add_argument("--install", action="store_true", help="(re)create the triggers")
        parser.add_argument("--from", dest="first", type=_month, help="first month, YYYY-MM")
        parser.add_argument("--to", dest="last", type=_month, help="last month, YYYY-MM")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(_("统计汇总仅用于 PostgreSQL；SQLite 下报表实时计算。"))
        first, last = options["first"], options["last"]
        if (first is None) != (last is None):
            raise CommandError(_("--from 和 --to 须同时给出。"))
        if first and last:
            if first > last:
                raise CommandError(_("--from 不能晚于 --to。"))
            last = last.replace(day=calendar.monthrange(last.year, last.month)[1])
        if not any(options[k] for k in ("check", "rebuild", "fold", "install")):
            raise CommandError(_("请指定 --check、--rebuild、--fold 或 --install。"))
        if options["install"]:
            facts.install()
            self.stdout.write(_("已安装触发器。"))
        if options["fold"]:
            self.stdout.write(_("已合并 %(n)d 条增量。") % {"n": facts.fold()})
        if options["check"] or options["rebuild"]:
            started = time.monotonic()
            found = facts.rebuild(first, last, write=options["rebuild"])
            span = f"{first:%Y-%m}…{last:%Y-%m}" if first and last else _("全部月份")
            for d in found[:200]:
                self.stdout.write(
                    f"{d.grain} {d.level} {d.day:%Y-%m-%d} {'/'.join(map(str, d.cell))} "
                    f"{d.column}: {d.stored} → {d.computed}"
                )
            self.stdout.write(
                _("%(span)s：%(n)d 处不一致，用时 %(s).1f 秒%(done)s。")
                % {
                    "span": span,
                    "n": len(found),
                    "s": time.monotonic() - started,
                    "done": _("，已更正") if options["rebuild"] and found else "",
                }
            )
            if options["check"] and not options["rebuild"] and found:
                sys.exit(1)
