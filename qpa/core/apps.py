from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "qpa.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from qpa.core import checks, signals

        checks.connect()
        signals.connect()
