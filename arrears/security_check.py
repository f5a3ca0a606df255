"""The level-3 application requirements (网络安全等级保护 2.0, GB/T 22239-2019) beside the
feature and setting of this system that meet each, and each one's state in this installation.
`manage.py security_check` prints them; docs/security.md lists the same items (a test keeps the
two equal). A check reads settings and the database only: it changes nothing."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_otp import devices_for_user

from arrears import config, encryption
from arrears.audit_admin.maintenance import last_verification
from arrears.models import Job, Role, User
from arrears.two_factor.policy import required_for

OK, WARN, FAIL, DEPLOY = "ok", "warn", "fail", "deploy"

AREAS = {
    "identification": "身份鉴别",
    "access": "访问控制",
    "audit": "安全审计",
    "intrusion": "入侵防范",
    "integrity": "数据完整性",
    "confidentiality": "数据保密性",
    "backup": "数据备份恢复",
    "residual": "剩余信息保护",
    "personal": "个人信息保护",
}


@dataclass(frozen=True)
class Item:
    area: str
    requirement: str
    feature: str
    setting: str
    check: Callable[[], tuple[str, str]]


def _lockout() -> tuple[str, str]:
    limit = settings.AXES_FAILURE_LIMIT
    if "axes" not in settings.INSTALLED_APPS or not getattr(settings, "AXES_ENABLED", True):
        return FAIL, "django-axes 未启用"
    if limit > 5:
        return WARN, f"{limit} 次失败后锁定（建议不超过 5 次）"
    return OK, f"{limit} 次失败后锁定账号，{settings.LOGIN_ADDRESS_FAILURE_LIMIT} 次锁定地址"


def _two_factor() -> tuple[str, str]:
    missing = [
        u.username
        for u in User.objects.filter(is_active=True).exclude(role="integration_client")
        if required_for(u) and not any(devices_for_user(u, confirmed=True))
    ]
    if missing:
        names = "、".join(missing[:5]) + ("…" if len(missing) > 5 else "")
        return WARN, f"{len(missing)} 个须两步验证的账号尚未绑定（下次登录时强制绑定）：{names}"
    return OK, "须两步验证的账号均已绑定验证设备"


def _passwords() -> tuple[str, str]:
    hasher = settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1]
    problems = []
    if settings.PASSWORD_MIN_LENGTH < 10:
        problems.append(f"最短 {settings.PASSWORD_MIN_LENGTH} 位")
    if not 0 < settings.PASSWORD_MAX_AGE_DAYS <= 90:
        problems.append(f"有效期 {settings.PASSWORD_MAX_AGE_DAYS} 天")
    if hasher != "Argon2PasswordHasher":
        problems.append(f"哈希 {hasher}")
    if problems:
        return WARN, "；".join(problems)
    return OK, (
        f"至少 {settings.PASSWORD_MIN_LENGTH} 位三类字符，{settings.PASSWORD_MAX_AGE_DAYS} 天更换，"
        f"不得重复最近 {settings.PASSWORD_HISTORY_COUNT} 次，Argon2"
    )


def _sessions() -> tuple[str, str]:
    idle, most = settings.SESSION_IDLE_MINUTES, settings.SESSION_MAX_HOURS
    if idle > 30 or most > 8:
        return WARN, f"空闲 {idle} 分钟、最长 {most} 小时后退出（建议 30 分钟、8 小时以内）"
    if not settings.SESSION_COOKIE_SECURE:
        return WARN, "会话 Cookie 未限定 HTTPS（仅开发环境可接受）"
    return OK, f"空闲 {idle} 分钟、最长 {most} 小时后退出；Cookie 仅经 HTTPS"


def _duties() -> tuple[str, str]:
    active = User.objects.filter(is_active=True)
    held = {
        role: active.filter(role=role).exists()
        for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
    }
    missing = [str(Role(role).label) for role, present in held.items() if not present]
    if missing:
        return WARN, "尚未指定：" + "、".join(missing)
    return OK, "系统管理员、安全管理员、审计管理员均已指定，职责互不重叠"


def _superusers() -> tuple[str, str]:
    supers = User.objects.filter(is_active=True, is_superuser=True)
    recent = supers.filter(last_login__gte=timezone.now() - datetime.timedelta(days=7)).count()
    if supers.count() > 1 or recent:
        return WARN, f"{supers.count()} 个超级用户，{recent} 个近 7 天登录过（仅供安装使用）"
    return OK, f"{supers.count()} 个超级用户，近 7 天无登录"


# Checks over a domain app's records, which the kernel does not import: the app provides them
# from its AppConfig.ready (complaints provides "api_keys"), and an item nobody provided fails.
_provided: dict[str, Callable[[], tuple[str, str]]] = {}


def provide(name: str, check: Callable[[], tuple[str, str]]) -> None:
    _provided[name] = check


def _provided_check(name: str) -> Callable[[], tuple[str, str]]:
    def check() -> tuple[str, str]:
        if name not in _provided:
            return FAIL, f"未注册检查项 {name}"
        return _provided[name]()

    return check


def _audit_key() -> tuple[str, str]:
    if settings.AUDIT_HMAC_KEY == "development-only-audit-key":
        return FAIL, "使用开发用的审计密钥（AUDIT_HMAC_KEY）"
    return OK, f"审计记录链式 HMAC（{settings.AUDIT_HMAC_ALGORITHM}）"


def _append_only() -> tuple[str, str]:
    if connection.vendor != "postgresql":
        return WARN, f"{connection.vendor} 无只追加触发器（生产环境应使用 PostgreSQL）"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname IN ('arrears_auditevent', 'arrears_securityevent') "
            "AND NOT t.tgisinternal AND t.tgenabled <> 'D'"
        )
        count = cursor.fetchone()[0]
    if count < 2:
        return FAIL, "审计表缺少只追加触发器（或已被停用）"
    return OK, "审计表拒绝修改和删除（触发器已启用）"


def _chain_verified() -> tuple[str, str]:
    row = last_verification()
    if row is None:
        return WARN, "尚未校验（每日自动校验，或运行 manage.py audit_verify）"
    age = timezone.now() - row.verified_at
    if not row.ok:
        return FAIL, f"{timezone.localtime(row.verified_at):%Y-%m-%d %H:%M} 校验未通过"
    if age > datetime.timedelta(days=2):
        return WARN, f"最近一次校验在 {age.days} 天前"
    return OK, f"{timezone.localtime(row.verified_at):%Y-%m-%d %H:%M} 校验通过 {row.checked} 条"


def _retention() -> tuple[str, str]:
    days = config.get("audit.retention_days")
    if days < 180:
        return FAIL, f"保存 {days} 天（不足 6 个月）"
    return OK, f"保存至少 {days} 天，之后归档（manage.py audit_archive）"


def _browser() -> tuple[str, str]:
    directives = settings.CONTENT_SECURITY_POLICY.get("DIRECTIVES", {})
    scripts = " ".join(directives.get("script-src", []))
    if "csp.middleware.CSPMiddleware" not in settings.MIDDLEWARE:
        return FAIL, "未启用内容安全策略"
    if "unsafe" in scripts:
        return WARN, f"script-src {scripts}"
    if settings.DEBUG:
        return FAIL, "DEBUG 已开启"
    return OK, "CSP 仅允许本站脚本和样式；Permissions-Policy；HSTS、nosniff、禁止嵌入"


def _money_constraints() -> tuple[str, str]:
    return OK, "金额与状态由数据库约束保证（追回不超过欠薪、结案结果与金额一致）"


def _field_keys() -> tuple[str, str]:
    ring = encryption.key_ring_text(
        settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_ENCRYPTION_KEY_FILE
    )
    if not ring or ring == settings.DEVELOPMENT_FIELD_ENCRYPTION_KEYS:
        return FAIL, "身份证号、手机号使用公开的开发密钥加密"
    if settings.FIELD_BLIND_INDEX_KEY == settings.DEVELOPMENT_FIELD_BLIND_INDEX_KEY:
        return FAIL, "盲索引使用公开的开发密钥"
    return OK, f"身份证号、手机号 AES-256-GCM 加密（当前密钥 {encryption.key_ring().current}）"


def _tls() -> tuple[str, str]:
    if not settings.SECURE_SSL_REDIRECT or not settings.SECURE_HSTS_SECONDS:
        return DEPLOY, "由部署方的反向代理提供 TLS（本实例未强制 HTTPS）"
    return DEPLOY, "强制 HTTPS；TLS 证书与加密套件由反向代理配置（deploy/nginx/arrears.conf）"


def _backups() -> tuple[str, str]:
    return DEPLOY, "scripts/backup.sh 每日备份数据库和附件；密钥另行保管（docs/deployment.md）"


def _residual() -> tuple[str, str]:
    stale = Job.objects.exclude(result="").filter(expires_at__lt=timezone.now()).count()
    if stale:
        return WARN, f"{stale} 个导出文件已过保留期仍未删除（后台任务清理是否在运行？）"
    return OK, "导出文件到期删除；会话超时、改密、锁定时清除会话"


def _personal() -> tuple[str, str]:
    return OK, "证件号、电话默认脱敏，查看原文需授权并记录（查看日志）"


ITEMS = [
    Item("identification", "登录失败处理", "django-axes 登录锁定", "LOGIN_FAILURE_*", _lockout),
    Item(
        "identification",
        "双因素鉴别",
        "两步验证（TOTP、短信、恢复码）",
        "auth.two_factor_roles",
        _two_factor,
    ),
    Item("identification", "口令复杂度与定期更换", "密码策略", "PASSWORD_*", _passwords),
    Item("identification", "登录超时退出", "会话时限与会话管理", "SESSION_*", _sessions),
    Item("access", "三员分立", "系统、安全、审计管理员", "Role", _duties),
    Item("access", "默认账户限制", "超级用户仅供安装，使用即告警", "security.*", _superusers),
    Item(
        "access",
        "接口访问控制",
        "接口密钥到期、轮换、地址白名单",
        "complaints.api_key_*",
        _provided_check("api_keys"),
    ),
    Item("audit", "审计记录防篡改", "链式 HMAC", "AUDIT_HMAC_KEY", _audit_key),
    Item("audit", "审计记录只追加", "PostgreSQL 触发器", "—", _append_only),
    Item("audit", "审计记录保存", "保存期与归档", "audit.retention_days", _retention),
    Item(
        "intrusion",
        "浏览器安全策略",
        "CSP、Permissions-Policy",
        "CONTENT_SECURITY_POLICY",
        _browser,
    ),
    Item("integrity", "审计链校验", "每日校验与告警", "—", _chain_verified),
    Item("integrity", "业务数据一致", "数据库约束", "—", _money_constraints),
    Item(
        "confidentiality", "个人信息加密存储", "字段加密与盲索引", "FIELD_ENCRYPTION_*", _field_keys
    ),
    Item("confidentiality", "传输加密", "HTTPS（反向代理）", "SECURE_*", _tls),
    Item("backup", "数据备份与恢复", "备份与恢复脚本", "scripts/backup.sh", _backups),
    Item("residual", "剩余信息保护", "文件到期删除、会话清除", "jobs.keep_hours", _residual),
    Item("personal", "个人信息最小展示", "脱敏与查看日志", "—", _personal),
]


def run() -> list[tuple[Item, str, str]]:
    """Each item with its state and a one-line detail; a check that fails to run is a FAIL."""
    results = []
    for item in ITEMS:
        try:
            state, detail = item.check()
        except Exception as exc:  # a broken check must not hide the others
            state, detail = FAIL, f"检查出错：{exc}"
        results.append((item, state, detail))
    return results
