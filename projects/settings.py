"""The projects side's configurable numbers (defaults with their source); see arrears.config."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from arrears.config import define

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
    "interviews.default_days",
    "int",
    3,
    _("约谈后责令解决的默认期限（工作日）"),
    # Counted as rectification.default_days is: the speech's "3日内" are working days here.
    source="讲话示例“约谈……责令其3日内解决”",
    minimum=1,
    maximum=30,
    per_city=True,
)
define(
    "circulars.number_prefix",
    "str",
    "",
    _("通报文号前缀（留空为“市简称+欠薪办通”，如“云岭欠薪办通”）"),
    source="党政机关公文格式 GB/T 9704：发文机关代字+年份+序号",
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
    _("两年内无拖欠的总承包单位：保证金按基准的倍数（减免）"),
    source="人社部发〔2021〕65号第7条",
    minimum=0,
    maximum=1,
    per_city=True,
)
define(
    "deposit.arrears_factor",
    "decimal",
    "1.5",
    _("两年内有拖欠的总承包单位：保证金按基准的倍数（提高）"),
    source="人社部发〔2021〕65号第7条",
    minimum=1,
    maximum=5,
    per_city=True,
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
