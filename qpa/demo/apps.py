from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "qpa.demo"
    label = "demo"
    verbose_name = "The demo council"
