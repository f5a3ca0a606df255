from django.urls import path

from complaints.cases import views as case_views
from complaints.intake import views

urlpatterns = [
    path("cases/", case_views.worklist, name="case-worklist"),
    path("cases/<int:pk>/", case_views.case_page, name="case-page"),
    path(
        "cases/<int:pk>/evidence/<int:attachment_pk>/",
        case_views.case_evidence,
        name="case-evidence",
    ),
    path("cases/<int:pk>/<str:action>/", case_views.case_action, name="case-action"),
    path(
        "complaints/<str:tracking_no>/evidence/<int:pk>/",
        views.evidence_download,
        name="complaint-evidence",
    ),
    path("complain/", views.public_complain, name="public-complain"),
    path("complain/done/", views.public_complain_done, name="public-complain-done"),
    path("track/", views.public_track, name="public-track"),
    path("track/<str:tracking_no>/rate/", views.public_rate, name="public-rate"),
    path("intake/new/", views.staff_new, name="complaint-new"),
    path("intake/dispatch/", views.dispatch_queue, name="dispatch-queue"),
    path("intake/inbox/", views.inbox, name="intake-inbox"),
    path("intake/deliveries/", views.delivery_log, name="delivery-log"),
    path("intake/deliveries/<int:pk>/resend/", views.delivery_resend, name="delivery-resend"),
    path(
        "intake/duplicates/<int:pk>/<str:decision>/",
        views.duplicate_decide,
        name="duplicate-decide",
    ),
    path("complaints/<str:tracking_no>/", views.complaint_detail, name="complaint-detail"),
    path("complaints/<str:tracking_no>/sign/", views.complaint_sign, name="complaint-sign"),
    path("complaints/<str:tracking_no>/return/", views.complaint_return, name="complaint-return"),
    path(
        "complaints/<str:tracking_no>/dispatch/",
        views.complaint_dispatch,
        name="complaint-dispatch",
    ),
    path("complaints/<str:tracking_no>/reveal/", views.complaint_reveal, name="complaint-reveal"),
]
