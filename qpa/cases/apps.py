from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "qpa.cases"
    label = "cases"
