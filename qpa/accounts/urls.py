from django.contrib.auth.decorators import login_not_required
from django.urls import path

from qpa.accounts import oidc, people_views, views

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
    path(
        "account/choose-password/<uidb64>/<token>/",
        login_not_required(people_views.ChoosePasswordView.as_view()),
        name="set-password",
    ),
    path("people/", people_views.people_list, name="people-list"),
    path("people/new/", people_views.person_create, name="person-create"),
    path("people/<str:username>/", people_views.person_detail, name="person-detail"),
    path("people/<str:username>/change/", people_views.person_edit, name="person-edit"),
    path("people/<str:username>/disable/", people_views.person_disable, name="person-disable"),
    path("people/<str:username>/enable/", people_views.person_enable, name="person-enable"),
    path(
        "people/<str:username>/reset-authenticator/",
        people_views.person_mfa_reset,
        name="person-mfa-reset",
    ),
    path(
        "people/<str:username>/password-link/",
        people_views.person_password_link,
        name="person-password-link",
    ),
    path("account/password/", views.ChangePasswordView.as_view(), name="password-change"),
    path("account/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("session/", views.session_status, name="session-status"),
    path("session/extend/", views.session_extend, name="session-extend"),
]
