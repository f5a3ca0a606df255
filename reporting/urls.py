from django.urls import path

from reporting import views
from reporting.assessment import views as assessment

urlpatterns = [
    path("reports/", views.overview, name="report-overview"),
    path("reports/print/", views.report_print, name="report-print"),
    path("reports/rows/", views.rows, name="report-rows"),
    path("reports/rows.<str:fmt>", views.rows_export, name="report-rows-export"),
    path("reports/table.<str:fmt>", views.table_export, name="report-table-export"),
    path("reports/cities/<str:code>/", views.city_page, name="report-city"),
    path("reports/counties/<str:code>/", views.county_page, name="report-county"),
    path("reports/assessment/", assessment.assessment_page, name="assessment"),
    path("reports/assessment/rows/", assessment.assessment_rows, name="assessment-rows"),
    path("reports/assessment/export/", assessment.assessment_export, name="assessment-export"),
    path(
        "reports/assessment/finalise/", assessment.assessment_finalise, name="assessment-finalise"
    ),
    path(
        "reports/assessment/cities/<str:code>/",
        assessment.assessment_city,
        name="assessment-city",
    ),
    path(
        "reports/assessment/counties/<str:code>/",
        assessment.assessment_county,
        name="assessment-county",
    ),
]
