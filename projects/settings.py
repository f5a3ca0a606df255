"""The projects side's configurable numbers (defaults with their source); see arrears.config."""

from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from arrears import config
from arrears.config import define
from projects.models.compliance import CHECKLIST, CORE_ITEMS, TWO_FUNDS_ONE_BOARD
from projects.risk import FACTORS

define(
    "warnings.minimum_wage_yuan",
    "decimal",
    "2000",
    _("当地月最低工资标准（元）"),
    source="省级人民政府公布（示例值，按当地标准修改）",
    minimum=0,
    per_city=True,
)
define(
    "warnings.deposit_expiry_days",
    "int",
    30,
    _("保证金或保函到期前多少天预警"),
    source="人社部发〔2021〕65号第17条",
    minimum=1,
    maximum=365,
    per_city=True,
)
define(
    "warnings.labour_cost_ratio",
    "decimal",
    "1.0",
    _("当月拨付人工费用低于约定金额的比例即预警（1.0为任何不足）"),
    source="保障农民工工资支付条例第27条",
    minimum=0,
    maximum=1,
    per_city=True,
)
define(
    "rectification.default_days",
    "int",
    3,
    _("责令整改默认期限（工作日）"),
    source="讲话示例“3日内补足”",
    minimum=1,
    maximum=60,
    per_city=True,
)
define(
    "deposit.base_rate_percent",
    "decimal",
    "2",
    _("工资保证金基准比例（合同价款的%）"),
    source="人社部发〔2021〕65号（1%–3%，各地确定）",
    minimum=0,
    maximum=10,
    per_city=True,
)
define(
    "deposit.clean_record_factor",
    "decimal",
    "0.5",
    _("统计期内（默认两年）无拖欠的总承包单位：保证金按基准的倍数（减免）"),
    source="人社部发〔2021〕65号第7条",
    minimum=0,
    maximum=1,
    per_city=True,
)
define(
    "deposit.arrears_factor",
    "decimal",
    "1.5",
    _("统计期内（默认两年）有拖欠的总承包单位：保证金按基准的倍数（提高）"),
    source="人社部发〔2021〕65号第7条",
    minimum=1,
    maximum=5,
    per_city=True,
)
# The deposit's clocks (人社部发〔2021〕65号), in working days from the event that starts each.
define(
    "deposit.lodge_working_days",
    "int",
    20,
    _("工资保证金存储时限（自开工日期起，工作日）"),
    source="人社部发〔2021〕65号",
    minimum=1,
    maximum=120,
    per_city=True,
)
define(
    "deposit.lodge_lookback_days",
    "int",
    60,
    _("开工多少天内的项目才开始计算保证金存储时限（更早开工的项目由检查和“5+3”核查处理）"),
    source="本系统上线时的取舍：不为早已开工的项目一次性产生大量逾期督办",
    minimum=0,
    maximum=3650,
)
define(
    "deposit.payout_working_days",
    "int",
    5,
    _("决定动用保证金后支付的时限（工作日）"),
    source="人社部发〔2021〕65号",
    minimum=1,
    maximum=60,
    per_city=True,
)
define(
    "deposit.topup_working_days",
    "int",
    10,
    _("保证金被动用后补足的时限（自支付之日起，工作日）"),
    source="人社部发〔2021〕65号",
    minimum=1,
    maximum=60,
    per_city=True,
)
define(
    "deposit.guarantee_reminder_months",
    "int",
    1,
    _("银行保函到期前几个月开始提醒并计时（须在到期前续保或改存保证金）"),
    source="人社部发〔2021〕65号第17条",
    minimum=1,
    maximum=12,
    per_city=True,
)
define(
    "lists.early_removal_months",
    "int",
    6,
    _("失信联合惩戒名单：清偿欠薪后可申请提前移出的列入月数"),
    source="人社部令45号（拖欠农民工工资失信联合惩戒对象名单管理暂行办法）",
    minimum=0,
    maximum=120,
)
define(
    "lists.dishonest_years",
    "int",
    3,
    _("失信联合惩戒名单默认期限（年，未填期满日期时使用）"),
    source="人社部令45号（拖欠农民工工资失信联合惩戒对象名单管理暂行办法）",
    minimum=1,
    maximum=10,
)

# Risk-based inspection targeting (projects/risk.py): each factor's points per count, the
# thresholds two factors compare with, and the share of an inspection list drawn at random.
# Example values chosen by hand (docs/risk.md), not fitted: a city sets its own.
for _factor in FACTORS:
    define(
        f"risk.weight.{_factor.code}",
        "decimal",
        _factor.default_weight,
        format_lazy("{}{}", _("风险权重（分/项）："), _factor.label),
        source="示例值（docs/risk.md）",
        minimum=0,
        maximum=100,
        per_city=True,
    )
define(
    "risk.low_labour_share_percent",
    "decimal",
    "20",
    _("人工费用占比低于该值（%）计为风险因素"),
    source="示例值（房屋建筑一般为20%–30%）",
    minimum=0,
    maximum=100,
    per_city=True,
)
define(
    "risk.large_contract_yuan",
    "decimal",
    "100000000",
    _("合同价款不低于该值（元）计为风险因素"),
    source="示例值",
    minimum=0,
    per_city=True,
)
define(
    "risk.random_percent",
    "int",
    20,
    _("检查名单中随机抽取的比例（%，双随机）"),
    source="示例值（“双随机、一公开”监管）",
    minimum=0,
    maximum=100,
    per_city=True,
)

# Fine ranges of 保障农民工工资支付条例 (State Council Order 724), yuan: checked when a fine is
# recorded. Statute figures, kept as configuration so a change of the regulation needs no
# release.
for _article, (_low, _high), _label in (
    ("art54", ("20000", "50000"), _("第54条")),
    ("art55", ("50000", "100000"), _("第55条")),
    ("art56", ("50000", "100000"), _("第56条")),
    ("art57", ("50000", "100000"), _("第57条")),
):
    define(
        f"fines.{_article}.minimum",
        "decimal",
        _low,
        format_lazy("{}{}", _("罚款下限（元）："), _label),
        source=f"保障农民工工资支付条例{_label}",
        minimum=0,
        per_city=True,
    )
    define(
        f"fines.{_article}.maximum",
        "decimal",
        _high,
        format_lazy("{}{}", _("罚款上限（元）："), _label),
        source=f"保障农民工工资支付条例{_label}",
        minimum=0,
        per_city=True,
    )

# --- Rules kept as configuration (issue 16): the warning rules' months and levels, the window
# of the deposit's record, and which "5+3" items are checked. Defaults are today's rules.
define(
    "warnings.no_wages_months",
    "int",
    2,
    _("连续几个月有考勤、无工资发放即预警"),
    source="讲话示例“连续两个月未发放工资”",
    minimum=1,
    maximum=12,
    per_city=True,
)
_LEVELS = ("red", "yellow")
for _rule, _default, _label in (
    ("no_wages", "red", _("预警等级：连续多月未发放工资（red 红色 / yellow 黄色）")),
    ("labour_cost", "yellow", _("预警等级：人工费用未按约定拨付（red 红色 / yellow 黄色）")),
    ("fewer_paid", "yellow", _("预警等级：发放人数少于考勤人数（red 红色 / yellow 黄色）")),
    ("below_minimum", "yellow", _("预警等级：人均发放低于最低工资（red 红色 / yellow 黄色）")),
    ("deposit_expired", "red", _("预警等级：保证金或保函已到期（red 红色 / yellow 黄色）")),
    ("deposit_expiring", "yellow", _("预警等级：保证金或保函即将到期（red 红色 / yellow 黄色）")),
):
    define(
        f"warnings.level.{_rule}",
        "str",
        _default,
        _label,
        source="本地惯例（贵州等地预警规则的红、黄两级）",
        choices=_LEVELS,
        per_city=True,
    )
define(
    "deposit.record_window_days",
    "int",
    730,
    _("保证金减免或提高：查看总承包单位多少天内的欠薪案件（两年为730天）"),
    source="人社部发〔2021〕65号第7条“两年内”",
    minimum=30,
    maximum=3650,
    per_city=True,
)


def _check_items(value: str) -> None:
    """The checked items keep 两金一牌 (a dashboard figure names its three items) and every
    item that counts as core."""
    chosen = set(value.split(",")) if value else set()
    required = [*TWO_FUNDS_ONE_BOARD, *config.get_list("compliance.core_items")]
    missing = [code for code in dict.fromkeys(required) if code not in chosen]
    if missing:
        raise ValidationError(
            _("核查的制度项必须包括两金一牌和各核心制度，缺少：%(m)s"),
            params={"m": ",".join(missing)},
        )


def _check_core(value: str) -> None:
    """Core items are checked items, and there is at least one."""
    chosen = value.split(",") if value else []
    if not chosen:
        raise ValidationError(_("至少要有一项核心制度"))
    enabled = set(config.get_list("compliance.items"))
    missing = [code for code in chosen if code not in enabled]
    if missing:
        raise ValidationError(
            _("核心制度必须是核查的制度项（compliance.items）之一：%(m)s"),
            params={"m": ",".join(missing)},
        )


define(
    "compliance.items",
    "str",
    ",".join(code for code, _item in CHECKLIST),
    _("核查的“5+3”制度项（逗号分隔的代码；新增制度项需要改代码）"),
    source="讲话“5+3”制度（5项核心制度、3项配套制度）",
    choices=tuple(code for code, _item in CHECKLIST),
    many=True,
    check=_check_items,
)
define(
    "compliance.core_items",
    "str",
    ",".join(CORE_ITEMS),
    _("计入5项制度覆盖率的核心制度（逗号分隔的代码，须在核查的制度项中）"),
    source="讲话“5项核心制度”",
    choices=tuple(code for code, _item in CHECKLIST),
    many=True,
    check=_check_core,
)
