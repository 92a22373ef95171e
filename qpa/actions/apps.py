from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "qpa.actions"
    label = "actions"

    def ready(self) -> None:
        # Connected here, once the apps are loaded (Django's way for receivers).
        from qpa.actions.services import recommendations_announce
        from qpa.audits.signals import audit_submitted

        audit_submitted.connect(recommendations_announce, dispatch_uid="actions.recommended")
