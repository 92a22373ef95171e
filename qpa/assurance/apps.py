from django.apps import AppConfig


class AssuranceConfig(AppConfig):
    name = "qpa.assurance"
    label = "assurance"
