from django.urls import path

from qpa.audits import list_views, views, voice_views

app_name = "audits"

urlpatterns = [
    path("", list_views.audit_list, name="audit-list"),
    path("audits.csv", list_views.audit_list_csv, name="audit-list-csv"),
    path("imports/past-audits/", views.past_audits_upload, name="import-past-audits"),
    path("imports/past-audits/template.csv", views.past_audits_template, name="import-template"),
    path("<uuid:public_id>/", views.audit_detail, name="audit-detail"),
    path("<uuid:public_id>/print/", list_views.audit_print, name="audit-print"),
    path("<uuid:public_id>/tasks/", views.audit_tasks, name="audit-tasks"),
    path("<uuid:public_id>/domains/<int:position>/", views.audit_domain, name="audit-domain"),
    path("<uuid:public_id>/overall/", views.audit_overall, name="audit-overall"),
    path("<uuid:public_id>/safety/", views.audit_safety, name="audit-safety"),
    path("<uuid:public_id>/voice/", voice_views.audit_voice, name="audit-voice"),
    path(
        "<uuid:public_id>/recommendations/",
        voice_views.audit_recommendations,
        name="audit-recommendations",
    ),
    path("<uuid:public_id>/check/", views.audit_check, name="audit-check"),
    path("<uuid:public_id>/reopen/", views.audit_reopen, name="audit-reopen"),
    path("<uuid:public_id>/reply/", views.audit_reply, name="audit-reply"),
]
