from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "qpa.actions"
    label = "actions"
