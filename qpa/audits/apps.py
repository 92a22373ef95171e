from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "qpa.audits"
    label = "audits"
