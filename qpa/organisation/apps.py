from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "qpa.organisation"
    label = "organisation"
