"""What each outcome of a case requires (结案条件): one table, read by the close form (which
offers only the outcomes that hold now and says why the others do not), by the API and by
`case_close`, which checks it under the case's row lock. docs/case-rules.md shows the same
table word for word (a test keeps them equal).

The rules follow the money first — an outcome must not contradict what was recovered — and,
for outcomes that name a step of the procedure, the step must be on the timeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import Case, EntryKind, Outcome


@dataclass(frozen=True)
class Facts:
    """What the rules look at, read once per case."""

    owed: Decimal
    recovered: Decimal
    kinds: frozenset[str]  # the kinds of entry on the case's timeline

    @property
    def outstanding(self) -> Decimal:
        return self.owed - self.recovered


@dataclass(frozen=True)
class Rule:
    requires: Promise  # the rule in words: the form, the refusal and docs/case-rules.md
    holds: Callable[[Facts], bool]


def _on_timeline(*kinds: str) -> Callable[[Facts], bool]:
    return lambda f: bool(f.kinds & set(kinds))


OUTCOME_RULES: dict[str, Rule] = {
    Outcome.PAID_IN_FULL: Rule(
        gettext_lazy("已追回工资等于欠薪金额且大于0（无未付工资）"),
        lambda f: f.recovered > 0 and f.recovered == f.owed,
    ),
    Outcome.PARTLY_PAID: Rule(
        gettext_lazy("已追回部分工资，且仍有未付工资"),
        lambda f: 0 < f.recovered < f.owed,
    ),
    Outcome.MEDIATED: Rule(
        gettext_lazy("办案记录中有调解协议"),
        _on_timeline(EntryKind.MEDIATION),
    ),
    Outcome.ARBITRATION: Rule(
        gettext_lazy("已转劳动仲裁（办案记录中有转劳动仲裁），且仍有未付工资"),
        lambda f: EntryKind.ARBITRATION in f.kinds and f.outstanding > 0,
    ),
    Outcome.ORDER: Rule(
        gettext_lazy("办案记录中有责令支付"),
        _on_timeline(EntryKind.ORDER),
    ),
    # A penalty rests on facts the investigation established (行政处罚法 art. 40).
    Outcome.FINED: Rule(
        gettext_lazy("办案记录中有现场检查、约谈或责令支付（查明事实后方可处罚）"),
        _on_timeline(EntryKind.VISIT, EntryKind.INTERVIEW, EntryKind.ORDER),
    ),
    Outcome.POLICE: Rule(
        gettext_lazy("已移送公安机关（经负责人批准后已移交，办案记录中有移送公安机关）"),
        _on_timeline(EntryKind.POLICE),
    ),
    # Wages recovered show that arrears existed and were handled here: such a case closes as
    # paid in full or partly paid (a later withdrawal is told in the closing note).
    Outcome.NOT_SUBSTANTIATED: Rule(
        gettext_lazy("未追回任何工资（追回了工资即说明欠薪属实）"),
        lambda f: f.recovered == 0,
    ),
    Outcome.WITHDRAWN: Rule(
        gettext_lazy("未追回任何工资（已追回的按全额支付或部分支付结案）"),
        lambda f: f.recovered == 0,
    ),
    Outcome.OUTSIDE_JURISDICTION: Rule(
        gettext_lazy("未追回任何工资（不属本部门管辖的案件不在本部门追回工资）"),
        lambda f: f.recovered == 0,
    ),
}


def facts(case: Case) -> Facts:
    kinds = frozenset(case.entries.values_list("kind", flat=True).distinct())
    return Facts(owed=case.amount_owed, recovered=case.recovered_amount, kinds=kinds)


def refusal(outcome: str, f: Facts) -> str | None:
    """Why the outcome cannot be chosen now, or None when its rule holds."""
    rule = OUTCOME_RULES[outcome]
    if rule.holds(f):
        return None
    return _("“%(o)s”须满足：%(r)s。当前欠薪 %(w)s 元，已追回 %(p)s 元。") % {
        "o": Outcome(outcome).label,
        "r": rule.requires,
        "w": f"{f.owed:,.2f}",
        "p": f"{f.recovered:,.2f}",
    }


def outcome_choices(case: Case) -> tuple[list[str], dict[str, str]]:
    """The outcomes that hold now, and for each other one why not (for the close form)."""
    f = facts(case)
    refused = {o: r for o in Outcome.values if (r := refusal(o, f)) is not None}
    return [o for o in Outcome.values if o not in refused], refused
