"""The complaints app's part of `manage.py security_check` (arrears/security_check.py): the
state of the integration clients' API keys, provided from ComplaintsConfig.ready."""

from __future__ import annotations

import datetime

from django.utils import timezone

from arrears.security_check import OK, WARN
from complaints.models import ApiKey


def api_keys() -> tuple[str, str]:
    now = timezone.now()
    live = ApiKey.objects.filter(revoked_at__isnull=True, expires_at__gt=now)
    soon = live.filter(expires_at__lte=now + datetime.timedelta(days=30)).count()
    if soon:
        return WARN, f"{live.count()} 个有效接口密钥，其中 {soon} 个 30 天内到期，请轮换"
    return OK, f"{live.count()} 个有效接口密钥，均有到期时间"
