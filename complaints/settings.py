"""The intake's configurable numbers (defaults, with their source); see arrears.config."""

from django.utils.translation import gettext_lazy as _

from arrears.config import define

define(
    "complaints.duplicate_window_days",
    "int",
    90,
    _("疑似重复投诉的比对时间范围（天）"),
    source="本地惯例",
    minimum=1,
    maximum=730,
    per_city=True,
)
define(
    "complaints.default_department_kind",
    "str",
    "hrss",
    _("行业无法对应主管部门时的承办部门类别"),
    source="人社部门牵头负责（保障农民工工资支付条例）",
    per_city=True,
)
define("complaints.max_files", "int", 10, _("每件投诉的证据材料数量上限"), minimum=0, maximum=50)
define("complaints.max_file_mb", "int", 10, _("单个证据材料大小上限（MB）"), minimum=1, maximum=100)
define(
    "complaints.public_form_per_hour",
    "int",
    5,
    _("同一地址每小时可提交的网上投诉数"),
    minimum=1,
    maximum=1000,
)
define(
    "complaints.tracking_per_15min",
    "int",
    10,
    _("同一地址每15分钟可查询次数"),
    minimum=1,
    maximum=1000,
)
define(
    "complaints.callback_max_attempts", "int", 12, _("状态回调最多尝试次数"), minimum=1, maximum=50
)
for _step, _label in (
    ("received", _("短信告知投诉人：已收到投诉（附查询码）")),
    ("signed", _("短信告知投诉人：承办单位已签收")),
    ("paid", _("短信告知投诉人：已登记追回工资")),
    ("closed", _("短信告知投诉人：已办结（附办理结果和评价请求）")),
):
    define(
        f"complaints.sms.{_step}",
        "bool",
        True,
        _label,
        source="全程跟踪（本地惯例）",
        per_city=True,
    )

# --- Case handling (defaults from ../shared/domain.md) ---------------------------------------
define(
    "case.accept_days",
    "int",
    5,
    _("受理决定时限（工作日）"),
    source="关于实施《劳动保障监察条例》若干规定 第18条",
    minimum=1,
    maximum=60,
    per_city=True,
)
define(
    "case.respond_days",
    "int",
    1,
    _("首次响应时限（工作日）"),
    source="本地目标（讲话）",
    minimum=1,
    maximum=30,
    per_city=True,
)
define(
    "case.close_days.simple",
    "int",
    3,
    _("简单案件办结时限（工作日）"),
    source="本地目标（讲话“马上办”）",
    minimum=1,
    maximum=60,
    per_city=True,
)
define(
    "case.close_days.ordinary",
    "int",
    15,
    _("普通案件办结时限（工作日）"),
    source="本地目标（讲话）",
    minimum=1,
    maximum=60,
    per_city=True,
)
define(
    "case.close_days.major",
    "int",
    30,
    _("重大案件办结时限（工作日）"),
    source="本地目标（讲话）",
    minimum=1,
    maximum=60,
    per_city=True,
)
define(
    "case.close_days.statutory",
    "int",
    60,
    _("立案后法定办结时限（工作日，未分类时）"),
    source="劳动保障监察条例 第17条",
    minimum=1,
    maximum=120,
    per_city=True,
)
define(
    "case.extension_max_days",
    "int",
    30,
    _("延期上限（工作日，只可一次）"),
    source="劳动保障监察条例 第17条",
    minimum=1,
    maximum=60,
    per_city=True,
)
# Which case clocks pause for arbitration (formerly case.pause_on_arbitration), an extension
# request or a suspension: deadline.pause.<kind>.<reason>, defined with each kind's label
# (arrears.deadlines; the case kinds' defaults in complaints.cases.services.core).
define(
    "case.triage.major_workers",
    "int",
    30,
    _("重大案件：涉及人数不少于"),
    source="本地惯例",
    minimum=1,
    per_city=True,
)
define(
    "case.triage.major_amount",
    "decimal",
    "500000",
    _("重大案件：欠薪金额不少于（元）"),
    source="本地惯例",
    minimum=0,
    per_city=True,
)
define(
    "case.triage.simple_workers",
    "int",
    3,
    _("简单案件：涉及人数不超过"),
    source="本地惯例",
    minimum=1,
    per_city=True,
)
define(
    "case.triage.simple_amount",
    "decimal",
    "20000",
    _("简单案件：欠薪金额不超过（元）"),
    source="本地惯例",
    minimum=0,
    per_city=True,
)
define(
    "case.triage.repeat_cases",
    "int",
    2,
    _("重复欠薪：同一单位两年内已有案件数不少于"),
    source="本地惯例",
    minimum=1,
    per_city=True,
)
define(
    "case.criminal.single_yuan",
    "decimal",
    "10000",
    _("拒不支付劳动报酬罪：拖欠一名劳动者（元）"),
    source="法释〔2013〕3号第3条（省定标准，示例辽宁）",
    minimum=0,
    per_city=True,
)
define(
    "case.criminal.total_yuan",
    "decimal",
    "50000",
    _("拒不支付劳动报酬罪：拖欠十名以上劳动者合计（元）"),
    source="法释〔2013〕3号第3条（省定标准，示例辽宁）",
    minimum=0,
    per_city=True,
)
define(
    "case.due_soon_working_days",
    "int",
    2,
    _("工作台“即将到期”：几个工作日内到期"),
    source="本地惯例",
    minimum=1,
    maximum=10,
    per_city=True,
)
define(
    "complaints.api_key_days",
    "int",
    365,
    _("新签发的接口密钥有效期（天）"),
    source="GB/T 22239-2019 身份鉴别：鉴别信息定期更换",
    minimum=1,
    maximum=1095,
)
define(
    "complaints.api_key_overlap_days",
    "int",
    7,
    _("轮换接口密钥时旧密钥继续有效的天数"),
    source="本地惯例：留出对接系统换用新密钥的时间",
    minimum=0,
    maximum=90,
)
define(
    "case.fund_repayment_days",
    "int",
    60,
    _("应急周转金垫付后欠薪单位归还时限（工作日）"),
    source="各地应急周转金管理办法（默认约三个月，可配置）",
    minimum=1,
    maximum=250,
    per_city=True,
)
