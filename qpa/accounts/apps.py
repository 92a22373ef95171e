from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "qpa.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from qpa.accounts import signals
        from qpa.accounts.sessions import start_clocks

        user_logged_in.connect(start_clocks, dispatch_uid="qpa.accounts.start_clocks")
        signals.connect()
