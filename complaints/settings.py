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
)
define(
    "complaints.default_department_kind",
    "str",
    "hrss",
    _("行业无法对应主管部门时的承办部门类别"),
    source="人社部门牵头负责（保障农民工工资支付条例）",
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
