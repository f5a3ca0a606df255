from django.urls import path

from reporting import views

urlpatterns = [
    path("reports/", views.overview, name="report-overview"),
    path("reports/print/", views.report_print, name="report-print"),
    path("reports/rows/", views.rows, name="report-rows"),
    path("reports/rows.<str:fmt>", views.rows_export, name="report-rows-export"),
    path("reports/table.<str:fmt>", views.table_export, name="report-table-export"),
    path("reports/cities/<str:code>/", views.city_page, name="report-city"),
    path("reports/counties/<str:code>/", views.county_page, name="report-county"),
]
