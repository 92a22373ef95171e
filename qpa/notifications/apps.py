from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "qpa.notifications"
    label = "notifications"
