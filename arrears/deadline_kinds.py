"""Per kind of clock: its display name, its reminder steps and the reasons it pauses for.

Each app registers its kinds' labels (`KIND_LABELS[kind] = label`, re-exported by
arrears.deadlines); registering one defines the kind's settings, per city:
`deadline.reminders.<kind>` (working days before the due date, e.g. "5,1"; empty follows the
general `deadline.reminder_working_days`) and `deadline.pause.<kind>.<reason>` for each of
PAUSE_REASONS. Their defaults are what the app declared (`kind_defaults`) or, for any other
kind, a single general reminder and no pause: a kind added anywhere is configurable without
code here."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import config

log = logging.getLogger(__name__)

# Why a clock may stand still: the matter waits on something outside the unit. Each kind says
# for which of these it pauses (configuration per kind and city, shown on the case page).
PAUSE_REASONS: dict[str, Any] = {
    "arbitration": gettext_lazy("仲裁期间"),
    "extension": gettext_lazy("延期申请审批期间"),
    "suspension": gettext_lazy("中止期间"),
}


@dataclass(frozen=True)
class KindDefaults:
    """What a kind of clock ships with; an administrator may change both per city."""

    # Working days before the due date, e.g. "5,1"; "" follows deadline.reminder_working_days.
    reminders: str = ""
    pause_for: frozenset[str] = frozenset()


# Defaults an app declared for its kinds (kind_defaults); any other kind gets KindDefaults().
KIND_DEFAULTS: dict[str, KindDefaults] = {}


def _reminders_key(kind: str) -> str:
    return f"deadline.reminders.{kind}"


def _pause_key(kind: str, reason: str) -> str:
    return f"deadline.pause.{kind}.{reason}"


REMINDERS_LABEL = gettext_lazy("“%(k)s”到期前第几个工作日提醒（逗号分隔，如 5,1；留空按通用设置）")
PAUSE_LABEL = gettext_lazy("“%(k)s”在%(r)s暂停计时")


def _fill(template: Any, params: dict[str, Any]) -> str:
    return str(template) % {k: str(v) for k, v in params.items()}


# The settings' labels stay lazy (translated when shown, in the reader's language): a label
# built with % at registration would be fixed in the language active at start-up.
_lazy_fill = lazy(_fill, str)


def _lazy_label(template: Any, **params: Any) -> Any:
    return _lazy_fill(template, params)


def _define_kind_settings(kind: str) -> None:
    """(Re)define the per-kind settings of `kind` from its label and declared defaults."""
    label = KIND_LABELS.get(kind, kind)
    defaults = KIND_DEFAULTS.get(kind, KindDefaults())
    config.define(
        _reminders_key(kind),
        "str",
        defaults.reminders,
        _lazy_label(REMINDERS_LABEL, k=label),
        source="本地惯例",
        per_city=True,
        check=_check_steps,
    )
    for reason, when in PAUSE_REASONS.items():
        config.define(
            _pause_key(kind, reason),
            "bool",
            reason in defaults.pause_for,
            _lazy_label(PAUSE_LABEL, k=label, r=when),
            source="本地惯例",
            per_city=True,
        )


class _KindLabels(dict[str, Any]):
    """KIND_LABELS: display names of the deadline kinds, each app registering its own
    (`KIND_LABELS[kind] = label` or `.update(...)`). Registering a kind defines its reminder
    and pause settings, so a kind needs nothing else to be configurable."""

    def __setitem__(self, kind: str, label: Any) -> None:
        super().__setitem__(kind, label)
        _define_kind_settings(kind)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for kind, label in dict(*args, **kwargs).items():
            self[kind] = label

    def setdefault(self, kind: str, label: Any = None) -> Any:
        if kind not in self:
            self[kind] = label
        return self[kind]


KIND_LABELS: dict[str, Any] = _KindLabels()


def kind_defaults(kind: str, *, reminders: str = "", pause_for: Iterable[str] = ()) -> None:
    """Declare the defaults a kind ships with (before or after its label is registered)."""
    unknown = set(pause_for) - set(PAUSE_REASONS)
    if unknown:
        raise ValueError(f"unknown pause reasons: {sorted(unknown)}")
    KIND_DEFAULTS[kind] = KindDefaults(reminders=reminders, pause_for=frozenset(pause_for))
    _define_kind_settings(kind)


def _parse_steps(raw: str) -> list[int]:
    """ "5,1" → [5, 1]: distinct working-day offsets, largest first; ValueError if not that."""
    steps = sorted({int(part) for part in raw.split(",") if part.strip()}, reverse=True)
    if any(step < 0 or step > 250 for step in steps):
        raise ValueError(raw)
    return steps


def _check_steps(raw: Any) -> None:
    try:
        _parse_steps(str(raw))
    except ValueError as exc:
        raise ValidationError(
            _("提醒设置应为逗号分隔的0至250的工作日数，如 5,1（留空按通用设置）")
        ) from exc


def reminder_steps(kind: str, city: int | None = None) -> list[int]:
    """The kind's reminder steps in `city`, in working days before the due date, largest
    (earliest) first. A kind without its own list (or with one that does not parse: a typo
    in the admin must not stop the sweep) has the general single reminder."""
    general = [int(config.get("deadline.reminder_working_days", city=city))]
    key = _reminders_key(kind)
    if key not in config.REGISTRY:  # a kind no app registered (tests, old rows)
        return general
    try:
        raw = str(config.get(key, city=city)).strip()
        return _parse_steps(raw) if raw else general
    except (ValueError, ValidationError):
        log.warning("bad reminder steps for %s: using %s", key, general)
        return general


def pauses_for(kind: str, reason: str, city: int | None = None) -> bool:
    """Whether a clock of `kind` stands still for `reason` (PAUSE_REASONS) in `city`."""
    key = _pause_key(kind, reason)
    return bool(config.get(key, city=city)) if key in config.REGISTRY else False


def pause_rules(kind: str, city: int | None = None) -> list[tuple[str, Any, bool]]:
    """(reason, its label, whether the kind pauses for it) for every reason: the case page."""
    return [
        (reason, label, pauses_for(kind, reason, city)) for reason, label in PAUSE_REASONS.items()
    ]
