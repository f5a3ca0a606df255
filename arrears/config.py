"""Configuration: every number the domain may change (deadlines, thresholds, working hours)
has a default here with its source, and an administrator may override it (ConfigValue rows,
edited in the admin). Apps register their own settings with `define` at import time.

Two levels: the province's value (a row without a city) is every city's default; a setting
defined `per_city` (deadlines, thresholds, fine ranges, warning rules, the escalation ladder…)
may also be set for one city, which then follows its own. `get(key, city=…)` answers for a
city; without one, the province's value."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from arrears.models import ConfigValue


@dataclass(frozen=True)
class Setting:
    key: str
    kind: str  # "int", "decimal", "time", "bool", "str"
    default: Any
    label: Any
    source: str = ""
    minimum: Any = None
    maximum: Any = None
    # Whether a city may set its own value (within minimum/maximum: a statute's range binds
    # every city alike).
    per_city: bool = False
    # A "str" setting limited to these codes; with `many`, a comma-separated list of them
    # (kept as that text, read with get_list), each at most once.
    choices: tuple[str, ...] = ()
    many: bool = False
    # A further check of a new value against the rest of the configuration (a list that must
    # hold another setting's codes…): run when a value is set (`validate`), not when one is
    # read, so that two settings checking each other cannot recurse.
    check: Callable[[Any], None] | None = None

    def parse(self, raw: Any) -> Any:
        """Turn a stored/typed value into the setting's Python type; ValidationError if bad."""
        try:
            if self.kind == "int":
                value: Any = int(raw)
            elif self.kind == "decimal":
                value = Decimal(str(raw))
            elif self.kind == "time":
                value = datetime.time.fromisoformat(str(raw))
            elif self.kind == "bool":
                value = raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "yes"}
            else:
                value = str(raw)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise ValidationError(_("配置值格式不正确：%(raw)s"), params={"raw": raw}) from exc
        if self.kind == "str" and (self.choices or self.many):
            return self._parse_codes(value)
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(_("配置值不能小于 %(min)s"), params={"min": self.minimum})
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(_("配置值不能大于 %(max)s"), params={"max": self.maximum})
        return value

    def validate(self, raw: Any) -> Any:
        """`parse`, then the setting's `check`: what a new value must pass to be stored."""
        value = self.parse(raw)
        if self.check is not None:
            self.check(value)
        return value

    def _parse_codes(self, value: str) -> str:
        """A choice (or with `many`, a list of them), stripped; blanks in a list are dropped."""
        codes = [c.strip() for c in value.split(",") if c.strip()] if self.many else [value.strip()]
        unknown = [c for c in codes if self.choices and c not in self.choices]
        if unknown:
            raise ValidationError(
                _("配置值 %(bad)s 不在可选范围内（%(allowed)s）"),
                params={"bad": "、".join(unknown), "allowed": ",".join(self.choices)},
            )
        if len(set(codes)) != len(codes):
            raise ValidationError(_("配置值中有重复项：%(raw)s"), params={"raw": value})
        return ",".join(codes)


REGISTRY: dict[str, Setting] = {}


def define(
    key: str,
    kind: str,
    default: Any,
    label: Any,
    source: str = "",
    *,
    per_city: bool = False,
    **bounds: Any,
) -> None:
    REGISTRY[key] = Setting(key, kind, default, label, source, per_city=per_city, **bounds)


# Values read in the last few seconds, per process: a request that reads the same setting
# five times costs one query, and a change reaches every process within CACHE_SECONDS.
CACHE_SECONDS = 5.0
_cache: dict[tuple[str, int | None], tuple[float, Any]] = {}


def get(key: str, city: int | None = None) -> Any:
    """The value in force for `city` (a City's id; None: the province): the city's own
    override if the setting allows one and there is one, else the province's, else the
    default."""

    setting = REGISTRY[key]
    city_id = city if setting.per_city else None
    now = time.monotonic()
    cached = _cache.get((key, city_id))
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    rows = dict(
        ConfigValue.objects.filter(key=key)
        .filter(Q(city__isnull=True) | Q(city_id=city_id))
        .values_list("city_id", "value")
    )
    stored = rows.get(city_id, rows.get(None)) if city_id is not None else rows.get(None)
    value = setting.parse(setting.default if stored is None else stored)
    _cache[(key, city_id)] = (now, value)
    return value


def get_list(key: str, city: int | None = None) -> tuple[str, ...]:
    """A `many` setting's codes in their configured order (empty when none)."""
    value = str(get(key, city=city))
    return tuple(value.split(",")) if value else ()


def forget() -> None:
    """Drop cached values (after a change in this process, and between tests)."""
    _cache.clear()


define(
    "calendar.workday_end",
    "time",
    "17:30",
    _("工作日下班时间（时限截止时刻）"),
    source="机关作息时间（本地惯例）",
)
define(
    "calendar.alert_lead_days",
    "int",
    31,
    _("提前多少天提醒载入下一年度节假日安排"),
    source="国务院办公厅通常于每年11月公布下一年度安排",
    minimum=0,
    maximum=366,
)
define(
    "deadline.reminder_working_days",
    "int",
    1,
    _("到期前几个工作日提醒"),
    source="本地惯例",
    per_city=True,
    minimum=0,
    maximum=30,
)
define(
    "notifications.max_attempts",
    "int",
    8,
    _("通知邮件、短信最多尝试次数"),
    source="本地惯例（默认退避下约一小时内重试8次）",
    minimum=1,
    maximum=50,
)
define(
    "deadline.escalation_ladder",
    "str",
    "0,2",
    _("逾期升级阶梯：到期后第几个工作日升级（第1级县区负责人，第2级市欠薪办和市领导）"),
    source="本地惯例",
    per_city=True,
)
define(
    "notifications.digest_roles",
    "str",
    "city_office",
    _(
        "按每日汇总发送到期提醒和逾期督办邮件、短信的角色（逗号分隔的角色代码，如 "
        "city_office,county_official；紧急事项仍即时发送）"
    ),
    source="本地惯例（市根治欠薪办每天收到的督办最多）",
)
define(
    "notifications.digest_time",
    "time",
    "08:30",
    _("每日汇总发送时间（北京时间）"),
    source="本地惯例（上班后第一件事）",
)
define(
    "notifications.digest_working_days_only",
    "bool",
    True,
    _("每日汇总只在工作日发送（节假日的事项并入下一个工作日的汇总）"),
    source="本地惯例",
)
