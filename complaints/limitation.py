"""The limitation period of a complaint (劳动保障监察条例 art. 20): a violation not found and
not complained of within two years — counted from its end when it continues, as unpaid wages
do — is not investigated any more. Here it is a warning to the officer, never a refusal: the
worker's complaint is always received (the officer decides, and other remedies may still
apply), so intake stores nothing and the warning is read from the complaint wherever it is
shown (complaint and case pages, the complaint and case API)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import config
from complaints.models import Complaint


def _years_after(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a year without one
        return day.replace(year=day.year + years, day=28)


def limitation_warning(complaint: Complaint) -> str | None:
    """The warning in words when the complaint was received more than
    `complaints.limitation_years` after the end of the period owed (its start when no end was
    given); None when within the period or when the complaint names no date."""
    end = complaint.period_end or complaint.period_start
    if end is None or complaint.received_at is None:
        return None
    years = int(config.get("complaints.limitation_years", city=complaint.city_id))
    expired_on = _years_after(end, years)
    received = timezone.localdate(complaint.received_at)
    if received <= expired_on:
        return None
    return _(
        "欠薪截止日期为 %(end)s，收到投诉时已超过%(years)s年投诉时效（%(expired)s 届满，"
        "劳动保障监察条例第二十条）。请核实欠薪是否持续至更晚；投诉照常受理，由办理人员决定。"
    ) % {"end": end.isoformat(), "years": years, "expired": expired_on.isoformat()}
