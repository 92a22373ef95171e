from django.apps import AppConfig


class CyclesConfig(AppConfig):
    name = "qpa.cycles"
    label = "cycles"
