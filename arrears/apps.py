from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArrearsConfig(AppConfig):
    name = "arrears"
    verbose_name = _("基础设置")

    def ready(self) -> None:
        from . import audit

        audit.connect_signals()

        # Their signal receivers: sessions recorded at login and ended on lockout.
        from . import lockout, user_sessions  # noqa: F401

        # The demo's and the test client's shortcuts at login; also defines the
        # auth.two_factor_roles configuration key (arrears/two_factor/policy.py).
        from .two_factor import signals

        signals.connect()

        # Imported for its alerts on superuser logins and admin changes and its deploy check.
        from . import superuser

        superuser.connect()
