from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "qpa.api"
    label = "api"
    verbose_name = "API"
