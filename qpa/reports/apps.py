from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "qpa.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # Connected here, once the apps are loaded (Django's way for receivers).
        from qpa.audits.signals import counted_ratings_changed
        from qpa.reports.services import report_aggregates_refresh

        counted_ratings_changed.connect(report_aggregates_refresh, dispatch_uid="reports.refresh")
