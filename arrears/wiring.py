"""What the kernel connects once Django's app registry is ready (ArrearsConfig.ready): the audit
trail's signal receivers, the security events of logins, lockouts and sessions, the two-factor
shortcuts and the superuser alerts. These modules import models, so only `ready` may import
this one."""

from __future__ import annotations

# Imported for their receivers (@receiver at import): sessions recorded at login and ended on
# lockout; and for what they define: the audit export's job kind, the retention setting.
from axes.signals import user_locked_out
from django_otp.models import Device

from arrears import audit, lockout, superuser, user_sessions  # noqa: F401
from arrears.audit import security
from arrears.audit_admin import exports, maintenance  # noqa: F401
from arrears.two_factor import signals as two_factor_signals


def connect() -> None:
    audit.connect_signals()
    security.connect(locked_out=user_locked_out, device_model=Device)
    # The demo's and the test client's shortcuts at login; also defines the
    # auth.two_factor_roles configuration key (arrears/two_factor/policy.py).
    two_factor_signals.connect()
    # Alerts on superuser logins and admin changes, and its deploy check.
    superuser.connect()
