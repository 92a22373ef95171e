from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "qpa.audits"
    label = "audits"

    def ready(self) -> None:
        # Connected here, once the apps are loaded (Django's way for registries).
        from qpa.audits.imports import past_audits_run
        from qpa.cases.imports import import_runner_register
        from qpa.cases.models import ImportKind

        import_runner_register(ImportKind.PAST_AUDITS, past_audits_run)
