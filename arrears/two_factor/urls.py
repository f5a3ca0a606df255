from django.urls import path

from arrears.two_factor import views

urlpatterns = [
    path("", views.manage, name="two-factor"),
    path("verify/", views.verify, name="two-factor-verify"),
    path("sms/send/", views.sms_send, name="two-factor-sms-send"),
    path("enrol/", views.enrol, name="two-factor-enrol"),
    path("enrol/sms/", views.enrol_sms, name="two-factor-enrol-sms"),
    path("enrol/sms/confirm/", views.enrol_sms_confirm, name="two-factor-enrol-sms-confirm"),
    path("recovery-codes/", views.recovery_codes, name="two-factor-recovery-codes"),
    path(
        "recovery-codes/regenerate/",
        views.recovery_regenerate,
        name="two-factor-recovery-regenerate",
    ),
    path("devices/remove/", views.device_remove, name="two-factor-device-remove"),
    path("users/", views.user_list, name="two-factor-users"),
    path("users/<int:pk>/reset/", views.user_reset, name="two-factor-reset"),
]
