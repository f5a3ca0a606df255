"""Fill the calendar table from the calendar libraries. Idempotent: official years are kept
unless --force, provisional ones are reloaded (and become official once the library knows
them)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from arrears import audit, services
from arrears.models import CalendarYear, YearStatus


class Command(BaseCommand):
    help = "载入工作日历（节假日与调休）/ Load the working-day calendar"

    def add_arguments(self, parser: Any) -> None:
        this_year = timezone.localdate().year
        parser.add_argument("--from", dest="first", type=int, default=this_year - 3)
        parser.add_argument("--to", dest="last", type=int, default=this_year + 1)
        parser.add_argument("--force", action="store_true", help="reload official years too")
        parser.add_argument(
            "--check",
            action="store_true",
            help="only compare chinesecalendar with the holidays package's estimate",
        )

    def handle(
        self, *args: Any, first: int, last: int, force: bool, check: bool, **options: Any
    ) -> None:
        if check:
            for year in range(first, last + 1):
                differences = services.calendar_cross_check(year)
                self.stdout.write(f"{year}: {len(differences)} differences")
                for line in differences:
                    self.stdout.write(f"  {line}")
            return
        statuses = dict(CalendarYear.objects.values_list("year", "status"))
        with audit.acting_as(label="command:load_calendar"):
            for year in range(first, last + 1):
                if statuses.get(year) == YearStatus.OFFICIAL and not force:
                    self.stdout.write(f"{year}: official, kept")
                    continue
                days, status, source = services.calendar_schedule_from_library(year)
                services.calendar_year_load(year=year, days=days, status=status, source=source)
                self.stdout.write(f"{year}: {status} ({source})")
