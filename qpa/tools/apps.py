from django.apps import AppConfig


class ToolsConfig(AppConfig):
    name = "qpa.tools"
    label = "tools"
