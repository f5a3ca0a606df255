from django.urls import path

from projects import clock_views, risk_views, views

urlpatterns = [
    path("projects/", views.project_list, name="project-list"),
    path("projects/import/", views.project_import, name="project-import"),
    path("projects/export.csv", views.project_export, name="project-export"),
    path("projects/wage-records/import/", views.wage_records_import, name="wage-records-import"),
    path(
        "projects/import/<slug:kind>-template.csv",
        views.import_template,
        name="import-template",
    ),
    path("projects/<int:pk>/", views.project_page, name="project-page"),
    path("projects/<int:pk>/inspections/new/", views.inspection_new, name="inspection-new"),
    path("projects/<int:pk>/wage-records/new/", views.wage_record_new, name="wage-record-new"),
    path("projects/<int:pk>/checklist/", views.checklist_update, name="checklist-update"),
    path(
        "projects/<int:pk>/deposit/events/",
        clock_views.deposit_event_new,
        name="deposit-event-new",
    ),
    path("employers/", views.employer_list, name="employer-list"),
    path("employers/<int:pk>/", views.employer_page, name="employer-page"),
    path("employers/<int:pk>/listings/", views.employer_listing_add, name="employer-listing-add"),
    path(
        "employers/<int:pk>/listings/remove/",
        views.employer_listing_remove,
        name="employer-listing-remove",
    ),
    path(
        "employers/<int:pk>/early-removal/",
        clock_views.early_removal_request,
        name="early-removal-request",
    ),
    path(
        "employers/<int:pk>/early-removal/decide/",
        clock_views.early_removal_decide,
        name="early-removal-decide",
    ),
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/<int:pk>/", views.campaign_page, name="campaign-page"),
    path("campaigns/<int:pk>/draw/", risk_views.campaign_draw, name="campaign-draw"),
    path("warnings/", views.warning_queue, name="warning-queue"),
    path("warnings/<int:pk>/new-case/", views.warning_new_case, name="warning-new-case"),
    path("warnings/<int:pk>/dispose/", views.warning_dispose, name="warning-dispose"),
]
