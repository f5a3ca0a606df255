"""Every dashboard figure, defined once: its label, unit, the definition shown on the page (and
written out in docs/metrics.md; a test keeps the two in step), the list it counts (for the
drill-down) and how it is derived from the raw aggregates of `reporting.selectors`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.models.case import Payer

Raw = Mapping[str, Any]

COUNT, RATE, YUAN, DAYS, SCORE = "count", "rate", "yuan", "days", "score"


def _ratio(part: Any, whole: Any) -> Decimal | None:
    """A rate as a fraction with 4 decimals (0.8125 = 81.25%); None when nothing to divide."""
    if not whole:
        return None
    return (Decimal(part or 0) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _mean(total: Any, n: Any) -> Decimal | None:
    if not n:
        return None
    return (Decimal(total or 0) / Decimal(n)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str | Promise
    unit: str
    definition: str | Promise
    derive: Callable[[Raw], Any]
    # The list a number links to: a subset of `reporting.selectors.SUBSETS`; None if it has none.
    subset: str | None
    # Snapshots count what is true now, whatever the period.
    snapshot: bool = False
    # For comparisons and rankings: fewer is better (days taken, overdue work).
    lower_is_better: bool = False


def _raw(key: str) -> Callable[[Raw], Any]:
    return lambda raw: raw.get(key) or 0


def _yuan_raw(key: str) -> Callable[[Raw], Any]:
    return lambda raw: raw.get(key) or Decimal("0.00")


# Wages recovered by who paid (complaints.models.Payer): label and definition of each.
PAYER_FIGURES = {
    Payer.EMPLOYER.value: (
        _("用人单位支付"),
        _("期间内登记的工资支付中由用人单位自行支付的金额之和（元；页面以万元显示）。"),
    ),
    Payer.GENERAL_CONTRACTOR.value: (
        _("总包单位清偿"),
        _("期间内由施工总承包单位先行清偿的工资金额之和（元；页面以万元显示）。"),
    ),
    Payer.CONSTRUCTION_UNIT.value: (
        _("建设单位垫付"),
        _("期间内由建设单位垫付的工资金额之和（元；页面以万元显示）。"),
    ),
    Payer.EMERGENCY_FUND.value: (
        _("周转金垫付"),
        _(
            "期间内由应急周转金垫付的工资金额之和（元；页面以万元显示）；垫付后由欠薪单位限期归还周转金。"
        ),
    ),
}

PAYER_KEYS = [f"recovered_{payer}" for payer in PAYER_FIGURES]

METRICS: dict[str, Metric] = {
    m.key: m
    for m in [
        Metric(
            "received",
            _("收到线索"),
            COUNT,
            _("期间内收到的投诉和线索数（按收到时间，含后来合并的），不论是否已分派。"),
            _raw("received"),
            "received",
        ),
        Metric(
            "accepted",
            _("受理"),
            COUNT,
            _("期间内受理的案件数（按受理时间）。多名工人对同一单位的投诉并为一案。"),
            _raw("accepted"),
            "accepted",
        ),
        Metric(
            "closed",
            _("办结"),
            COUNT,
            _("期间内办结的案件数（按结案时间；重新办理的案件以最近一次结案为准）。"),
            _raw("closed"),
            "closed",
        ),
        Metric(
            "closure_rate",
            _("办结率"),
            RATE,
            _("期间内受理的案件中，目前已办结的比例 = 其中已办结数 ÷ 受理数。"),
            lambda r: _ratio(r.get("accepted_closed"), r.get("accepted")),
            "accepted_closed",
        ),
        Metric(
            "on_time_rate",
            _("按期办结率"),
            RATE,
            _(
                "期间内办结且有办结时限的案件中，在时限（工作日，含批准的延期，"
                "仲裁期间暂停计时）内办结的比例。"
            ),
            lambda r: _ratio(r.get("on_time"), r.get("closed_timed")),
            "on_time",
        ),
        Metric(
            "avg_days",
            _("平均办结用时（工作日）"),
            DAYS,
            _(
                "期间内办结案件从立案（未立案的从受理）到结案的工作日数的平均值；"
                "工作日不含周末和法定节假日，含调休上班日。"
            ),
            lambda r: _mean(r.get("days_sum"), r.get("days_n")),
            "closed",
            lower_is_better=True,
        ),
        Metric(
            "responded",
            _("首次响应"),
            COUNT,
            _(
                "期间内作出首次响应（受理、不予受理，或首次电话、走访、约谈联系）的案件数"
                "（按响应时间）。"
            ),
            _raw("responded"),
            "responded",
        ),
        Metric(
            "response_rate",
            _("按时响应率"),
            RATE,
            _(
                "期间内作出首次响应的案件中，在设定的响应时限（自收到投诉起的工作日数，"
                "按市配置）内响应的比例 = 按时响应数 ÷ 响应数。"
            ),
            lambda r: _ratio(r.get("responded_on_time"), r.get("responded")),
            "responded_on_time",
        ),
        Metric(
            "closed_in_limit_rate",
            _("法定时限内办结率"),
            RATE,
            _(
                "期间内办结且已计算用时的案件中，办结用时（工作日）不超过结案时适用的法定办结时限"
                "（立案后60个工作日，按市配置）的比例。"
            ),
            lambda r: _ratio(r.get("closed_in_limit"), r.get("days_n")),
            "closed_in_limit",
        ),
        Metric(
            "workers_involved",
            _("涉及人数"),
            COUNT,
            _("期间内受理案件涉及的农民工人数之和。"),
            _raw("workers_involved"),
            "accepted",
        ),
        Metric(
            "amount_owed",
            _("涉及金额"),
            YUAN,
            _("期间内受理案件的欠薪金额之和（元；页面以万元显示）。"),
            lambda r: r.get("owed_sum") or Decimal("0.00"),
            "accepted",
        ),
        Metric(
            "recovered",
            _("追回工资"),
            YUAN,
            _("期间内登记的工资支付（补发）金额之和，按支付日期计（元；页面以万元显示）。"),
            lambda r: r.get("recovered") or Decimal("0.00"),
            "payments",
        ),
        *(
            Metric(
                f"recovered_{payer}",
                label,
                YUAN,
                definition,
                _yuan_raw(f"recovered_{payer}"),
                f"payments_{payer}",
            )
            for payer, (label, definition) in PAYER_FIGURES.items()
        ),
        Metric(
            "workers_paid",
            _("补发人数"),
            COUNT,
            _("期间内登记的工资支付所涉人数之和。"),
            _raw("paid_workers"),
            "payments",
        ),
        Metric(
            "recovery_rate",
            _("追回率"),
            RATE,
            _("期间内办结案件追回工资之和 ÷ 这些案件欠薪金额之和。"),
            lambda r: _ratio(r.get("recovered_closed"), r.get("owed_closed")),
            "closed",
        ),
        Metric(
            "open",
            _("在办案件"),
            COUNT,
            _("当前待受理、已受理或立案调查中的案件数（实时，不受期间影响）。"),
            _raw("open"),
            "open",
            snapshot=True,
            lower_is_better=True,
        ),
        Metric(
            "overdue",
            _("逾期案件"),
            COUNT,
            _("在办案件中，受理、答复、办结或限期支付时限已过而仍未完成的案件数（实时）。"),
            _raw("overdue"),
            "overdue",
            snapshot=True,
            lower_is_better=True,
        ),
        Metric(
            "arbitration",
            _("转仲裁"),
            COUNT,
            _("期间内在办案记录中登记转劳动仲裁的次数。"),
            _raw("arbitration"),
            "arbitration",
        ),
        Metric(
            "police",
            _("移送公安"),
            COUNT,
            _("期间内在办案记录中登记移送公安机关（涉嫌拒不支付劳动报酬罪）的次数。"),
            _raw("police"),
            "police",
        ),
        Metric(
            "satisfaction",
            _("满意度"),
            SCORE,
            _("期间内办结且已回访评价的案件的平均满意度（1–5分）。"),
            lambda r: _mean(r.get("satisfaction_sum"), r.get("rated")),
            "rated",
        ),
        Metric(
            "core_coverage",
            _("5项制度覆盖率"),
            RATE,
            _(
                "在建项目中，5项核心制度（实名制、工资专用账户、银行代发、工资保证金或保函、"
                "监控系统接入）均核查为落实或不适用的比例（实时）。"
            ),
            lambda r: _ratio(r.get("projects_core"), r.get("projects")),
            "projects_core",
            snapshot=True,
        ),
        Metric(
            "two_funds_coverage",
            _("两金一牌覆盖率"),
            RATE,
            _(
                "在建项目中，工资保证金、工伤保险、维权信息告示牌均核查为落实或不适用的比例（实时）。"
            ),
            lambda r: _ratio(r.get("projects_two_funds"), r.get("projects")),
            "projects_two_funds",
            snapshot=True,
        ),
        Metric(
            "wage_accounts",
            _("开设工资专用账户"),
            COUNT,
            _("在建项目中，农民工工资专用账户核查为落实（已开设）的项目数（实时）。"),
            _raw("wage_accounts"),
            "projects_wage_account",
            snapshot=True,
        ),
        Metric(
            "bank_paid",
            _("银行代发工资"),
            YUAN,
            _(
                "工资所属月份在期间内的项目月度工资支付记录中，银行代发金额之和"
                "（元；页面以万元显示）。"
            ),
            _yuan_raw("bank_paid"),
            "projects_bank_paid",
        ),
        Metric(
            "deposits",
            _("工资保证金"),
            YUAN,
            _(
                "在建项目中，工资保证金（含银行保函）核查为落实的金额之和"
                "（实时；元；页面以万元显示）。"
            ),
            _yuan_raw("deposits"),
            "projects_deposit",
            snapshot=True,
        ),
        Metric(
            "deposits_guarantee",
            _("其中以保函缴存"),
            YUAN,
            _(
                "工资保证金中，缴存形式登记为保函（银行、保险或担保机构保函）的金额之和"
                "（实时；元；页面以万元显示）。"
            ),
            _yuan_raw("deposits_guarantee"),
            "projects_guarantee",
            snapshot=True,
        ),
        Metric(
            "guarantee_share",
            _("保函占比"),
            RATE,
            _("工资保证金金额中以保函缴存的比例 = 保函金额 ÷ 工资保证金金额（实时）。"),
            lambda r: _ratio(r.get("deposits_guarantee"), r.get("deposits")),
            "projects_guarantee",
            snapshot=True,
        ),
        Metric(
            "warnings_raised",
            _("发出预警"),
            COUNT,
            _("期间内新发出的欠薪预警数（按预警时间）。"),
            _raw("warnings_raised"),
            "warnings_raised",
        ),
        Metric(
            "warnings_resolved",
            _("处置预警"),
            COUNT,
            _("期间内处置完毕（含条件消除自动关闭）的预警数（按处置时间）。"),
            _raw("warnings_resolved"),
            "warnings_resolved",
        ),
        Metric(
            "inspections",
            _("检查项目次数"),
            COUNT,
            _("期间内对在册项目开展检查的次数（按检查日期）。"),
            _raw("inspections"),
            "inspections",
        ),
        Metric(
            "orders",
            _("责令整改"),
            COUNT,
            _("期间内下达的责令整改数（按下达日期）。"),
            _raw("orders"),
            "orders",
        ),
        Metric(
            "orders_on_time",
            _("按期整改"),
            COUNT,
            _("期间内下达的责令整改中，在整改期限内复查为整改到位的数量。"),
            _raw("orders_on_time"),
            "orders_on_time",
        ),
        Metric(
            "orders_overdue",
            _("逾期整改"),
            COUNT,
            _("期间内下达的责令整改中，超过整改期限才完成或至今仍未完成的数量。"),
            _raw("orders_overdue"),
            "orders_overdue",
            lower_is_better=True,
        ),
        Metric(
            "fines",
            _("行政处罚"),
            COUNT,
            _("期间内作出的罚款决定数（按处罚决定日期）。"),
            _raw("fines"),
            "fines",
        ),
        Metric(
            "fine_amount",
            _("罚款金额"),
            YUAN,
            _("期间内罚款决定金额之和（元；页面以万元显示）。"),
            lambda r: r.get("fine_amount") or Decimal("0.00"),
            "fines",
        ),
    ]
}

# The comparison officials quote ("平均办结时间较去年缩短*个工作日") is a metric of its own.
AVG_DAYS_CHANGE_DEFINITION = _("本期平均办结用时减去去年同期平均办结用时（工作日）；负数表示缩短。")

# The columns of the ranking table, in order.
TABLE = [
    "received",
    "accepted",
    "closed",
    "closure_rate",
    "on_time_rate",
    "avg_days",
    "response_rate",
    "closed_in_limit_rate",
    "workers_involved",
    "amount_owed",
    "recovered",
    "recovery_rate",
    "open",
    "overdue",
    "satisfaction",
    "core_coverage",
    "two_funds_coverage",
    "wage_accounts",
    "bank_paid",
    "deposits",
    "guarantee_share",
]

# What the ranking can be ordered by (best first: see Metric.lower_is_better).
RANKABLE = [
    "on_time_rate",
    "closure_rate",
    "recovery_rate",
    "avg_days",
    "response_rate",
    "closed_in_limit_rate",
    "overdue",
    "recovered",
    "core_coverage",
]

# The speech's money figures (wage accounts, wages paid through the banks, deposits and the
# share lodged as guarantee letters, advances and the fund's payments) and its time limits
# (response within the set working days, the working days to close against the statute).
FUNDS = [
    "wage_accounts",
    "bank_paid",
    "deposits",
    "deposits_guarantee",
    "guarantee_share",
    "recovered_general_contractor",
    "recovered_construction_unit",
    "recovered_emergency_fund",
]
TIMELINESS = ["responded", "response_rate", "avg_days", "closed_in_limit_rate"]


def derive(raw: Raw) -> dict[str, Any]:
    """Every metric from one unit's raw aggregates."""
    return {key: metric.derive(raw) for key, metric in METRICS.items()}


def to_wan(amount: Decimal | None) -> Decimal | None:
    """Yuan to 万元 with 2 decimals, rounded half up, for display only (stored and exported
    figures stay in yuan)."""
    if amount is None:
        return None
    return (Decimal(amount) / Decimal(10000)).quantize(Decimal("0.01"), ROUND_HALF_UP)
