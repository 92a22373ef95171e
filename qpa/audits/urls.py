from django.urls import path

from qpa.audits import views

app_name = "audits"

urlpatterns = [
    path("imports/past-audits/", views.past_audits_upload, name="import-past-audits"),
    path("imports/past-audits/template.csv", views.past_audits_template, name="import-template"),
]
