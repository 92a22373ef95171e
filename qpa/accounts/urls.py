from django.contrib.auth.decorators import login_not_required
from django.urls import path

from qpa.accounts import oidc, views
from qpa.api import views as api_views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-in/code/", views.mfa_verify, name="mfa-verify"),
    path("sign-in/set-up-app/", views.mfa_enrol, name="mfa-enrol"),
    path(
        "sign-in/council/",
        login_not_required(oidc.CouncilSignInStartView.as_view()),
        name="oidc-start",
    ),
    path(
        "sign-in/council/callback/",
        login_not_required(oidc.CouncilSignInCallbackView.as_view()),
        name="oidc-callback",
    ),
    path("sign-out/", views.SignOutView.as_view(), name="sign-out"),
    path("account/password/", views.ChangePasswordView.as_view(), name="password-change"),
    path("account/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("account/api-tokens/", api_views.api_tokens, name="api-tokens"),
    path(
        "account/api-tokens/<uuid:public_id>/revoke/",
        api_views.api_token_revoke_view,
        name="api-token-revoke",
    ),
    path("session/", views.session_status, name="session-status"),
    path("session/extend/", views.session_extend, name="session-extend"),
]
