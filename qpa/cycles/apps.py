from django.apps import AppConfig


class CyclesConfig(AppConfig):
    name = "qpa.cycles"
    label = "cycles"

    def ready(self) -> None:
        # Connected here, once the apps are loaded (Django's way for receivers).
        from qpa.audits.signals import audit_submitted
        from qpa.cycles.services import allocation_complete_on_submit

        audit_submitted.connect(allocation_complete_on_submit, dispatch_uid="cycles.complete")
