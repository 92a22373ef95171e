from django.urls import path

from qpa.cases import case_views, views

app_name = "cases"

urlpatterns = [
    path("", case_views.case_list, name="case-list"),
    path("<uuid:public_id>/", case_views.case_detail, name="case-detail"),
    path("imports/", views.import_list, name="import-list"),
    path("imports/annex-a/", views.annex_a_upload, name="import-annex-a"),
    path("imports/case-list/", views.case_list_upload, name="import-case-list"),
    path("imports/<uuid:public_id>/", views.import_detail, name="import-detail"),
    path("imports/<uuid:public_id>/mapping/", views.import_mapping, name="import-mapping"),
    path("imports/<uuid:public_id>/status.json", views.import_status, name="import-status"),
    path("imports/<uuid:public_id>/problems.csv", views.import_errors_csv, name="import-errors"),
    path("teams/", views.team_list, name="team-list"),
    path("teams/new/", views.team_create, name="team-create"),
    path("teams/<uuid:public_id>/", views.team_edit, name="team-edit"),
    path("population-rules/", views.population_rules, name="population-rules"),
]
