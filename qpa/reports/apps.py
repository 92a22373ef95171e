from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "qpa.reports"
    label = "reports"
    verbose_name = "Reports"
