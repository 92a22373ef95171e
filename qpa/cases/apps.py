from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CasesConfig(AppConfig):
    name = "qpa.cases"
    label = "cases"

    def ready(self) -> None:
        # Each app that holds part of a case's history says so in its own
        # `case_history` module (qpa.cases.history), found the way the admin finds
        # `admin` modules, so that this app never imports the apps above it.
        autodiscover_modules("case_history")
        # Connected here, once the apps are loaded (Django's way for registries).
        from qpa.cases.case_lists import case_list_run, case_list_uploads_expire
        from qpa.cases.imports import import_runner_register, import_runs_work
        from qpa.cases.models import ImportKind
        from qpa.core.worker import worker_duty_register

        import_runner_register(ImportKind.CASE_LIST, case_list_run)
        worker_duty_register("imports", import_runs_work)
        worker_duty_register("case-list uploads expired", case_list_uploads_expire)
