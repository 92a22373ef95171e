from django.urls import path

from qpa.cycles import views

app_name = "cycles"

urlpatterns = [
    path("", views.cycle_list, name="cycle-list"),
    path("my-allocations/", views.my_allocation_list, name="my-allocations"),
    path("plans/new/", views.plan_create, name="plan-create"),
    path("plans/<uuid:plan_id>/", views.plan_detail, name="plan-detail"),
    path("new/", views.cycle_create_start, name="cycle-create"),
    path("new/check/", views.cycle_create_check, name="cycle-create-check"),
    path("new/<slug:step>/", views.cycle_create_step, name="cycle-create-step"),
    path("sample/<uuid:sampled_id>/replace/", views.sample_replace, name="sample-replace"),
    path(
        "allocations/<uuid:allocation_id>/reallocate/",
        views.allocation_reassign,
        name="allocation-reassign",
    ),
    path(
        "allocations/<uuid:allocation_id>/start/",
        views.allocation_audit_start,
        name="allocation-audit-start",
    ),
    path("<uuid:cycle_id>/", views.cycle_detail, name="cycle-detail"),
    path("<uuid:cycle_id>/draw/", views.cycle_draw, name="cycle-draw"),
    path("<uuid:cycle_id>/report/", views.cycle_report, name="cycle-report"),
    path("<uuid:cycle_id>/sample/", views.cycle_sample, name="cycle-sample"),
    path("<uuid:cycle_id>/sample.csv", views.cycle_sample_csv, name="cycle-sample-csv"),
    path("<uuid:cycle_id>/sample.xlsx", views.cycle_sample_xlsx, name="cycle-sample-xlsx"),
    path("<uuid:cycle_id>/allocate/", views.cycle_allocate, name="cycle-allocate"),
    path("<uuid:cycle_id>/hand-picking/", views.cycle_hand_picking, name="cycle-hand-picking"),
    path("<uuid:cycle_id>/hand-pick/", views.sample_hand_pick, name="sample-hand-pick"),
]
