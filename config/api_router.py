"""The API router: every app registers its endpoints under /api/v1/ here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from arrears.api import fields, views
from complaints.cases import api as case_api
from complaints.intake import api as complaint_views
from projects.api import views as project_views
from reporting import api as reporting_api

# JSON strings stay strings in every serializer the API uses (arrears/api/fields.py).
fields.install()

router = DefaultRouter()
router.register("counties", views.CountyViewSet, basename="county")
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("calendar/years", views.CalendarYearViewSet, basename="calendar-year")
router.register("referrals", complaint_views.ReferralViewSet, basename="referral")
router.register("complaints", complaint_views.ComplaintViewSet, basename="complaint")
router.register("cases", case_api.CaseViewSet, basename="case")
router.register("projects", project_views.ProjectViewSet, basename="project")
router.register("employers", project_views.EmployerViewSet, basename="employer")
router.register("wage-records", project_views.WageRecordViewSet, basename="wage-record")
router.register("warnings", project_views.WarningViewSet, basename="warning")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("calendar/add-working-days/", views.AddWorkingDaysView.as_view(), name="api-calendar-add"),
    path(
        "calendar/working-days-between/",
        views.WorkingDaysBetweenView.as_view(),
        name="api-calendar-between",
    ),
    path(
        "calendar/is-working-day/",
        views.IsWorkingDayView.as_view(),
        name="api-calendar-is-working-day",
    ),
    path(
        "referral-evidence/",
        complaint_views.ReferralEvidenceView.as_view(),
        name="api-referral-evidence",
    ),
    path("reports/dashboard/", reporting_api.CityDashboardView.as_view(), name="report-dashboard"),
    path(
        "reports/cities/<str:code>/",
        reporting_api.CityPageDashboardView.as_view(),
        name="report-city-dashboard",
    ),
    path(
        "reports/counties/<str:code>/",
        reporting_api.CountyDashboardView.as_view(),
        name="report-county-dashboard",
    ),
    path("", include(router.urls)),
]
