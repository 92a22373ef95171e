"""The pages where a person manages their own API tokens (the API itself is in api.py)."""

from django.urls import path

from qpa.api import views

app_name = "tokens"

urlpatterns = [
    path("account/api-tokens/", views.api_tokens, name="api-tokens"),
    path(
        "account/api-tokens/<uuid:public_id>/revoke/",
        views.api_token_revoke_view,
        name="api-token-revoke",
    ),
]
