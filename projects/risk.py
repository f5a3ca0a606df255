"""Risk scoring for inspection targeting (风险分级): pure functions over a project's history.

Nothing here reads the database. `projects.risk_selectors` loads a `ProjectHistory` per project
(a few grouped queries for a whole city), and this module answers, for any day, what was known
at the end of that day (`facts_as_of`) and what each fact adds to the score (`score`). The
same code scores a project on its page, draws a campaign's inspection list and replays the
system's history for validation (`evaluate`), so the validated score is the one in use.

A factor's contribution is its configured weight (points, `risk.weight.<code>`) times its
count, the count capped at the factor's `cap` so that one kind of trouble cannot drown every
other; the score is the exact sum of the contributions (Decimal, never float).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# How far back the counted facts reach (complaints, warnings, findings), in days; the general
# contractor's record reaches twice as far. Wage records: the last complete months.
WINDOW_DAYS = 365
RECORD_DAYS = 730
WAGE_MONTHS = 6


@dataclass(frozen=True)
class Factor:
    code: str
    label: object  # a lazy string
    default_weight: str  # points per count, a decimal string (arrears.config)
    cap: int  # counts beyond this add nothing
    employer: bool = True  # also a factor of an employer's score (its projects summed)


FACTORS: tuple[Factor, ...] = (
    Factor("complaints", _("近12个月投诉（件）"), "10", 5),
    Factor("complaint_amount", _("近12个月投诉欠薪金额（每10万元）"), "2", 10),
    Factor("warnings_red", _("近12个月红色预警（次）"), "8", 3),
    Factor("warnings_yellow", _("近12个月黄色预警（次）"), "4", 3),
    Factor("findings", _("近12个月检查发现问题（项）"), "3", 5),
    Factor("overdue_orders", _("逾期未整改（项）"), "6", 3),
    Factor("unpaid_months", _("近6个月未发放工资（月）"), "10", 3),
    Factor("fewer_paid_months", _("近6个月发放人数少于考勤人数（月）"), "3", 3),
    Factor("below_minimum_months", _("近6个月人均低于最低工资（月）"), "4", 3),
    Factor("key_supervision", _("参建单位在重点监管名单"), "10", 1),
    Factor("dishonest", _("参建单位在失信联合惩戒名单"), "15", 1),
    Factor("no_deposit", _("工资保证金未落实"), "8", 1, employer=False),
    Factor("private_investment", _("社会投资项目"), "5", 1, employer=False),
    Factor("low_labour_share", _("人工费用占比偏低或未约定"), "5", 1, employer=False),
    Factor("large_contract", _("合同价款较大"), "3", 1, employer=False),
    Factor("contractor_record", _("总承包单位其他项目近两年被投诉（个）"), "4", 3, employer=False),
)
FACTOR_BY_CODE = {f.code: f for f in FACTORS}

# The label of an entry drawn at random rather than by its score (双随机).
RANDOM_REASON = _("随机抽取")


@dataclass(frozen=True)
class Listing:
    employer_id: int
    kind: str  # projects.models.ListKind
    listed_on: dt.date
    expires_on: dt.date | None
    removed_on: dt.date | None

    def current_on(self, day: dt.date) -> bool:
        """On the list at the end of `day` (EmployerListing.is_current, as of a past day)."""
        return (
            self.listed_on <= day
            and (self.removed_on is None or self.removed_on > day)
            and (self.expires_on is None or self.expires_on >= day)
        )


@dataclass(frozen=True)
class WageMonth:
    month: dt.date  # first day
    recorded_at: dt.datetime
    on_roll: int
    paid: int
    amount: Decimal


@dataclass
class ProjectHistory:
    """What the system holds about one project, each fact with the time it became known."""

    pk: int
    start_date: dt.date | None = None
    investment_type: str = "private"
    contract_value: Decimal | None = None
    labour_cost_share: Decimal | None = None
    employer_ids: tuple[int, ...] = ()  # every party
    contractor_ids: tuple[int, ...] = ()  # the general contractors
    complaints: list[tuple[dt.datetime, Decimal]] = field(default_factory=list)
    warnings: list[tuple[dt.datetime, str]] = field(default_factory=list)  # (opened, level)
    findings: list[dt.date] = field(default_factory=list)
    # Rectification clocks: (started on, due at, closed at or None).
    orders: list[tuple[dt.date, dt.datetime, dt.datetime | None]] = field(default_factory=list)
    wages: list[WageMonth] = field(default_factory=list)
    # The deposit item's recorded state and when it was verified (the checklist keeps the
    # current state only, so a state is read as holding from its verification on).
    deposit: tuple[str, dt.date | None] | None = None


@dataclass(frozen=True)
class Context:
    """What scoring needs beyond one project: the lists, the other projects' complaints (for
    the contractor's record), and the configured thresholds."""

    listings: Sequence[Listing] = ()
    # employer id -> its projects' complaint times, by project: {employer: {project: [times]}}
    contractor_complaints: Mapping[int, Mapping[int, Sequence[dt.datetime]]] = field(
        default_factory=dict
    )
    minimum_wage: Decimal = Decimal("2000")
    low_labour_share: Decimal = Decimal("20")
    large_contract: Decimal = Decimal("100000000")


@dataclass(frozen=True)
class Contribution:
    code: str
    count: int  # the fact's count before the cap
    points: Decimal

    @property
    def label(self) -> object:
        return FACTOR_BY_CODE[self.code].label


@dataclass(frozen=True)
class RiskScore:
    total: Decimal
    contributions: tuple[Contribution, ...]  # the factors that add something, largest first

    def top(self, n: int = 3) -> tuple[Contribution, ...]:
        return self.contributions[:n]


def cutoff_of(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The first instant after `day` (local midnight): what was known at the end of `day`
    is what was recorded before this."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def months_back(day: dt.date, n: int) -> dt.date:
    month = day.year * 12 + day.month - 1 - n
    return dt.date(month // 12, month % 12 + 1, 1)


def facts_as_of(
    history: ProjectHistory, day: dt.date, context: Context, tz: dt.tzinfo
) -> dict[str, int]:
    """Each factor's count for the project, from what was known at the end of `day`."""
    cutoff = cutoff_of(day, tz)
    since = cutoff - dt.timedelta(days=WINDOW_DAYS)
    since_day = day - dt.timedelta(days=WINDOW_DAYS)
    counts: dict[str, int] = {}
    recent = [amount for at, amount in history.complaints if since <= at < cutoff]
    counts["complaints"] = len(recent)
    counts["complaint_amount"] = int(sum(recent, Decimal(0)) // 100_000)
    counts["warnings_red"] = sum(
        1 for at, lv in history.warnings if since <= at < cutoff and lv == "red"
    )
    counts["warnings_yellow"] = sum(
        1 for at, lv in history.warnings if since <= at < cutoff and lv == "yellow"
    )
    counts["findings"] = sum(1 for d in history.findings if since_day < d <= day)
    # Overdue at the end of `day`: due before it and not closed by its due time (still
    # running then, or closed late) — a missed order stays on the record for the window.
    counts["overdue_orders"] = sum(
        1
        for started, due, closed in history.orders
        if started <= day and since <= due < cutoff and (closed is None or closed > due)
    )
    counts.update(_wage_counts(history, day, cutoff, context))
    listed = {
        x.kind
        for x in context.listings
        if x.employer_id in history.employer_ids and x.current_on(day)
    }
    counts["key_supervision"] = int("key_supervision" in listed)
    counts["dishonest"] = int("dishonest" in listed)
    state, verified = history.deposit or ("unknown", None)
    counts["no_deposit"] = int(
        state == "not_compliant" and verified is not None and verified <= day
    )
    counts["private_investment"] = int(history.investment_type == "private")
    share = history.labour_cost_share
    counts["low_labour_share"] = int(share is None or share < context.low_labour_share)
    value = history.contract_value
    counts["large_contract"] = int(value is not None and value >= context.large_contract)
    counts["contractor_record"] = _contractor_record(history, cutoff, context)
    return counts


def _wage_counts(
    history: ProjectHistory, day: dt.date, cutoff: dt.datetime, context: Context
) -> dict[str, int]:
    """The last WAGE_MONTHS complete months whose record was in by the end of `day`."""
    first = months_back(day + dt.timedelta(days=1), WAGE_MONTHS)
    known = [
        w
        for w in history.wages
        if w.month >= first and month_end(w.month) <= day and w.recorded_at < cutoff
    ]
    unpaid = fewer = below = 0
    for w in known:
        if w.on_roll and (w.paid == 0 or w.amount == 0):
            unpaid += 1
            continue
        if w.paid < w.on_roll:
            fewer += 1
        if w.paid and w.amount / w.paid < context.minimum_wage:
            below += 1
    return {"unpaid_months": unpaid, "fewer_paid_months": fewer, "below_minimum_months": below}


def _contractor_record(history: ProjectHistory, cutoff: dt.datetime, context: Context) -> int:
    """How many of the general contractors' other projects had a complaint in the last two
    years: a contractor in arrears on one site tends to be on the next."""
    since = cutoff - dt.timedelta(days=RECORD_DAYS)
    others: set[int] = set()
    for employer in history.contractor_ids:
        for project, times in context.contractor_complaints.get(employer, {}).items():
            if project != history.pk and any(since <= t < cutoff for t in times):
                others.add(project)
    return len(others)


def score(counts: Mapping[str, int], weights: Mapping[str, Decimal]) -> RiskScore:
    """The score and each factor's contribution (weight × count capped), largest first; the
    total is their exact sum."""
    parts = []
    for factor in FACTORS:
        count = counts.get(factor.code, 0)
        points = weights[factor.code] * min(count, factor.cap)
        if points:
            parts.append(Contribution(factor.code, count, points))
    parts.sort(key=lambda c: (-c.points, c.code))
    return RiskScore(sum((c.points for c in parts), Decimal(0)), tuple(parts))


def employer_counts(per_project: Iterable[Mapping[str, int]], listed: set[str]) -> dict[str, int]:
    """An employer's counts: its projects' counts summed for the factors that concern what
    happened (complaints, warnings, findings, wages), its own listings; the projects'
    standing terms (investment, labour share…) are not the employer's."""
    totals = {f.code: 0 for f in FACTORS if f.employer}
    for counts in per_project:
        for code in totals:
            totals[code] += counts.get(code, 0)
    totals["key_supervision"] = int("key_supervision" in listed)
    totals["dishonest"] = int("dishonest" in listed)
    return totals


# --- The inspection list (双随机) -----------------------------------------------------------


@dataclass(frozen=True)
class Drawn:
    project_id: int
    by_risk: bool
    score: RiskScore
    inspector_id: int | None


def draw(
    scores: Mapping[int, RiskScore],
    *,
    size: int,
    random_percent: int,
    seed: int,
    inspectors: Callable[[int], Sequence[int]] = lambda _pk: (),
) -> list[Drawn]:
    """The inspection list: the highest scores first, then `random_percent` of `size` drawn
    at random from the rest, each with an inspector drawn at random from those who may
    inspect it (`inspectors(project id)`, in a stable order). Ties in the score go to the
    lower id, and the random part uses its own Random(seed), so the same scores and seed
    give the same list."""
    # A reproducible draw is the point (the seed is stored); the seed itself comes from
    # `secrets` (projects.services.campaign_draw), so it cannot be guessed beforehand.
    rng = random.Random(seed)  # noqa: S311
    size = min(size, len(scores))
    n_random = min(size, round(size * random_percent / 100))
    ranked = sorted(scores, key=lambda pk: (-scores[pk].total, pk))
    chosen = ranked[: size - n_random]
    rest = sorted(ranked[size - n_random :])
    picked = rng.sample(rest, n_random)
    by_risk = set(chosen)
    result = []
    for pk in chosen + picked:
        staff = sorted(inspectors(pk))
        result.append(Drawn(pk, pk in by_risk, scores[pk], rng.choice(staff) if staff else None))
    return result


# --- Validation on the system's own history -----------------------------------------------


def roc_auc(scores: Sequence[float | Decimal], labels: Sequence[bool]) -> float | None:
    """Area under the ROC curve: the chance that a random positive scores above a random
    negative, ties counting half (the Mann–Whitney statistic, from average ranks)."""
    positives = sum(1 for x in labels if x)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1  # the tied rows share their average rank
        i = j + 1
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def precision_at_k(
    scores: Sequence[float | Decimal], labels: Sequence[bool], k: int, rng: random.Random
) -> float:
    """The share of positives among the k highest scores, ties broken at random (a stable
    sort on a shuffled order), so a score with many ties is not flattered by the row order."""
    idx = list(range(len(scores)))
    rng.shuffle(idx)
    top = sorted(idx, key=lambda i: -scores[i])[:k]
    return sum(1 for i in top if labels[i]) / k if k else 0.0


@dataclass(frozen=True)
class MonthResult:
    month_end: dt.date
    projects: int
    positives: int
    auc: dict[str, float | None]
    precision: dict[str, float]


def evaluate(
    histories: Sequence[ProjectHistory],
    context: Context,
    weights: Mapping[str, Decimal],
    month_ends: Sequence[dt.date],
    *,
    tz: dt.tzinfo,
    k: int,
    seed: int,
    horizon_months: int = 3,
) -> list[MonthResult]:
    """For each month end M: score every project that had started by M from what was known
    at M, label it by whether a complaint about it arrived in the next `horizon_months`
    months, and measure the ranking (ROC AUC, precision at the top k) of the score and of two
    baselines — a random order, and the number of complaints so far."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible validation, not a secret
    results = []
    for end in month_ends:
        cutoff = cutoff_of(end, tz)
        until = cutoff_of(month_end(months_back(end, -horizon_months)), tz)
        active = [h for h in histories if h.start_date is None or h.start_date <= end]
        labels = [any(cutoff <= t < until for t, _a in h.complaints) for h in active]
        model = [score(facts_as_of(h, end, context, tz), weights).total for h in active]
        so_far = [sum(1 for t, _a in h.complaints if t < cutoff) for h in active]
        chance = [rng.random() for _h in active]
        rankings: dict[str, Sequence[float | Decimal]] = {
            "risk": model,
            "complaints_so_far": so_far,
            "random": chance,
        }
        results.append(
            MonthResult(
                month_end=end,
                projects=len(active),
                positives=sum(labels),
                auc={name: roc_auc(s, labels) for name, s in rankings.items()},
                precision={
                    name: precision_at_k(s, labels, min(k, len(active)), rng)
                    for name, s in rankings.items()
                },
            )
        )
    return results
