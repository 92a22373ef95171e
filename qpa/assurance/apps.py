from django.apps import AppConfig


class AssuranceConfig(AppConfig):
    name = "qpa.assurance"
    label = "assurance"

    def ready(self) -> None:
        # Connected here, once the apps are loaded (Django's way for receivers). Cycles
        # connect theirs first (INSTALLED_APPS order), so the allocation is done by now.
        from qpa.assurance.services import assurance_after_submit
        from qpa.audits.signals import audit_submitted

        audit_submitted.connect(assurance_after_submit, dispatch_uid="assurance.after_submit")
