from django.apps import AppConfig


class DataProtectionConfig(AppConfig):
    name = "qpa.dataprotection"
    label = "dataprotection"
    verbose_name = "Data protection"
