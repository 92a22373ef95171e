from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "qpa.accounts"
    label = "accounts"
