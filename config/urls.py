from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from arrears import account_views, job_views, views
from arrears.audit_admin import views as audit_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Identification and authentication (arrears/account_views.py): one's password and sessions,
    # the security administrator's lockouts and sessions.
    path("accounts/password/", account_views.password_change, name="password_change"),
    path(
        "accounts/password/done/",
        account_views.password_change_done,
        name="password_change_done",
    ),
    path("accounts/sessions/", account_views.my_sessions, name="my-sessions"),
    path("accounts/sessions/end/", account_views.my_session_end, name="my-session-end"),
    path(
        "accounts/sessions/end-others/",
        account_views.my_sessions_end_others,
        name="my-sessions-end-others",
    ),
    path("security/lockouts/", account_views.security_lockouts, name="security-lockouts"),
    path("security/lockouts/unlock/", account_views.security_unlock, name="security-unlock"),
    path("security/sessions/", account_views.security_sessions, name="security-sessions"),
    path(
        "security/sessions/end/",
        account_views.security_sessions_end,
        name="security-sessions-end",
    ),
    path("accounts/two-factor/", include("arrears.two_factor.urls")),
    # Django's language switch, wrapped so the choice is kept on the user (notifications).
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("org/settings/", views.config_by_city, name="config-by-city"),
    path("org/counties/", views.county_list, name="county-list"),
    path("org/counties/<str:code>/", views.county_detail, name="county-detail"),
    path("org/departments/<int:pk>/", views.department_detail, name="department-detail"),
    path("calendar/", views.calendar_index, name="calendar"),
    path("calendar/<int:year>/", views.calendar_year, name="calendar-year"),
    path("calendar/<int:year>/load/", views.calendar_load, name="calendar-load"),
    path("calendar/<int:year>/announce/", views.calendar_announce, name="calendar-announce"),
    path("calendar/<int:year>/day/", views.calendar_day, name="calendar-day"),
    path("calendar/<int:year>/mark/", views.calendar_mark, name="calendar-mark"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/all/", views.inbox_all, name="inbox-all"),
    path("notifications/deliveries/", views.message_log, name="message-log"),
    path(
        "notifications/deliveries/<int:pk>/resend/",
        views.message_resend,
        name="message-resend",
    ),
    path("audit/", audit_views.audit_list, name="audit-list"),
    path("audit/export/", audit_views.audit_export, name="audit-export"),
    path("jobs/", job_views.job_list, name="job-list"),
    path("jobs/<int:pk>/cancel/", job_views.job_cancel, name="job-cancel"),
    path("jobs/<int:pk>/retry/", job_views.job_retry, name="job-retry"),
    path("jobs/<int:pk>/download/", job_views.job_download, name="job-download"),
    path("", include("complaints.urls")),
    path("", include("projects.urls")),
    path("", include("reporting.urls")),
    path("inbox/mark-read/", views.inbox_mark_read, name="inbox-mark-read"),
    # Namespaced: the router names its routes "<basename>-detail", which would otherwise clash
    # with page names such as "county-detail".
    path("api/v1/", include(("config.api_router", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script); its
    # page keeps a small inline <style>, and Swagger UI shows its logo as a data: image.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
]

# Chinese-first pages in the site's layout with the request id; JSON under /api/.
handler400 = "arrears.error_pages.bad_request"
handler403 = "arrears.error_pages.permission_denied"
handler404 = "arrears.error_pages.page_not_found"
handler500 = "arrears.error_pages.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
