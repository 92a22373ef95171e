from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "qpa.notifications"
    label = "notifications"

    def ready(self) -> None:
        from qpa.notifications import account_mail

        account_mail.connect()
