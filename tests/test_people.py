"""People, for administrators: list, add, change, disable, enable, reset a lost
authenticator app and send a link to choose a password; each change in the event log,
and every page refused to every other role."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_otp.plugins.otp_totp.models import TOTPDevice

from qpa.accounts.models import RecoveryCode, Role, User
from qpa.accounts.services import recovery_codes_replace
from qpa.core.models import Event
from qpa.notifications.delivery import outbox_deliver_due
from qpa.notifications.models import Notification
from tests.support.factories import PASSWORD, UserFactory, area
from tests.support.mail import SmtpServer, message_text
from tests.support.people import Personas, signed_in

NEW_PASSWORD = "lantern moss kettle"


def _head() -> int:
    return Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _entries(since: int) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (e.action, e.actor_username, e.data)
        for e in Event.objects.filter(seq__gt=since).order_by("seq")
        if e.action.startswith(("account.", "auth.mfa", "organisation."))
    ]


def _person_form(personas: Personas, **overrides: Any) -> dict[str, Any]:
    form = {
        "username": "nia.jones",
        "first_name": "Nia",
        "last_name": "Jones",
        "email": "nia.jones@council.example",
        "job_title": "Senior Team Manager",
        "role": Role.AUDITOR.value,
        "teams": [personas.cic_team.pk],
        "service_areas": [],
        "manager": personas.head_of_cp.pk,
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def _urls(username: str) -> list[str]:
    return [
        reverse("accounts:people-list"),
        reverse("accounts:person-create"),
        *(
            reverse(name, args=[username])
            for name in (
                "accounts:person-detail",
                "accounts:person-edit",
                "accounts:person-disable",
                "accounts:person-enable",
                "accounts:person-mfa-reset",
                "accounts:person-password-link",
            )
        ),
    ]


@pytest.mark.parametrize(
    "who", ["auditor", "head_of_cp", "director", "performance", "practitioner"]
)
def test_only_administrators_reach_the_people_pages(personas: Personas, who: str) -> None:
    client = signed_in(getattr(personas, who))
    target = personas.outsider
    start = _head()
    for url in _urls(target.username):
        assert client.get(url).status_code == 403, url
        # The list is GET only: a POST is refused as a method (405) before anything else.
        posted = client.post(url, {"reason": "x", **_person_form(personas)})
        assert posted.status_code in (403, 405), url
    target.refresh_from_db()
    assert target.is_active and target.role == Role.PRACTITIONER
    assert not User.objects.filter(username="nia.jones").exists()
    assert _entries(start) == []


def test_the_list_shows_each_person_and_their_last_sign_in_without_a_query_per_row(
    personas: Personas, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(personas.admin)
    hilda = personas.head_of_cp
    hilda.manager = personas.director
    hilda.save()
    client.get("/")  # ada has now signed in
    signed_in(personas.auditor)

    def measured() -> str:
        with django_assert_max_num_queries(14):
            response = client.get(reverse("accounts:people-list"))
        assert response.status_code == 200
        return response.content.decode()

    measured()
    for _ in range(30):
        UserFactory(teams=[personas.cp_team], areas=[area("children-in-care")], manager=hilda)
    body = measured()  # the same queries for 7 people as for 37
    assert f"<strong>{User.objects.count()}</strong> people" in body
    hilda_row = re.search(r'href="/people/hilda/".*?</tr>', body, re.S)
    assert hilda_row is not None
    assert "Child Protection" in hilda_row.group(0)
    assert 'href="/people/dora/"' in hilda_row.group(0)  # her manager, a link
    assert "Never" in hilda_row.group(0)  # hilda has never signed in
    alice_row = re.search(r'href="/people/alice/".*?</tr>', body, re.S)
    assert alice_row is not None
    assert "CiC Team A" in alice_row.group(0)
    signed_in_at = timezone.localtime(User.objects.get(username="alice").last_login)
    assert date_format(signed_in_at, "j F Y") in alice_row.group(0)


def test_the_list_is_filtered_by_name_role_and_status(personas: Personas) -> None:
    client = signed_in(personas.admin)
    personas.outsider.is_active = False
    personas.outsider.save()
    body = client.get(reverse("accounts:people-list"), {"role": "practitioner"}).content.decode()
    assert "/people/pat/" in body and "/people/oscar/" in body and "/people/hilda/" not in body
    body = client.get(
        reverse("accounts:people-list"), {"role": "practitioner", "status": "disabled"}
    ).content.decode()
    assert "/people/oscar/" in body and "/people/pat/" not in body
    body = client.get(reverse("accounts:people-list"), {"q": "hild"}).content.decode()
    assert "/people/hilda/" in body and "/people/pat/" not in body
    assert "Selected filters" in body


def test_adding_a_person_emails_them_a_one_time_link_to_choose_their_password(
    personas: Personas, smtp: SmtpServer, settings: Any
) -> None:
    smtp.start()
    settings.QPA_SITE_URL = "https://qpa.council.example"
    client = signed_in(personas.admin)
    start = _head()
    response = client.post(
        reverse("accounts:person-create"),
        _person_form(personas, service_areas=[area("children-in-care").pk]),
    )
    nia = User.objects.get(username="nia.jones")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:person-detail", args=["nia.jones"])
    assert (nia.role, nia.manager, nia.job_title) == (
        Role.AUDITOR,
        personas.head_of_cp,
        "Senior Team Manager",
    )
    assert list(nia.teams.all()) == [personas.cic_team]
    assert list(nia.service_areas.all()) == [area("children-in-care")]
    assert not nia.has_usable_password()  # nobody but Nia will ever know it

    page = client.get(response["Location"]).content.decode()
    assert "We have emailed them a link to choose their password" in page
    link = Notification.objects.get(recipient=nia, kind="account.set_password").url
    assert link.startswith("/account/choose-password/")
    assert link not in page  # the administrator never sees the link
    assert _entries(start) == [
        (
            "account.created",
            "ada",
            {"username": "nia.jones", "role": "auditor", "is_active": True, "is_superuser": False},
        ),
        (
            "account.teams_changed",
            "ada",
            {"username": "nia.jones", "change": "add", "teams": [personas.cic_team.pk]},
        ),
        (
            "account.service_areas_changed",
            "ada",
            {
                "username": "nia.jones",
                "change": "add",
                "service_areas": [area("children-in-care").pk],
            },
        ),
        ("account.set_password_link_sent", "ada", {"username": "nia.jones", "days": 3}),
    ]

    # The email goes out through the outbox, with the whole link.
    assert outbox_deliver_due().sent == 1
    (message,) = smtp.mailbox.messages
    assert message["To"] == "nia.jones@council.example"
    assert message["Subject"] == "Choose your password for Quality of Practice Audit"
    text = message_text(message)
    assert "Your username is nia.jones." in text
    assert f"https://qpa.council.example{link}" in text

    # Nia opens it, without signing in, and chooses a password.
    nia_browser = Client()
    opened = nia_browser.get(link)
    assert opened.status_code == 302  # Django moves the token out of the address
    form_page = nia_browser.get(opened["Location"])
    assert "Choose your password" in form_page.content.decode()
    weak = nia_browser.post(
        opened["Location"], {"new_password1": "aaaaaaaaaaaa", "new_password2": "aaaaaaaaaaaa"}
    )
    assert weak.status_code == 200 and "There is a problem" in weak.content.decode()
    done = nia_browser.post(
        opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == reverse("accounts:sign-in")
    assert Client().login(username="nia.jones", password=NEW_PASSWORD)
    # It works once.
    again = Client().get(link, follow=True).content.decode()
    assert "This link does not work" in again
    assert Event.objects.filter(action="account.password_changed", object_id=str(nia.pk)).exists()


def test_with_the_councils_sign_in_no_link_is_sent(personas: Personas, settings: Any) -> None:
    settings.QPA_OIDC_ISSUER = "https://login.council.example"
    client = signed_in(personas.admin)
    page = client.get(reverse("accounts:person-create")).content.decode()
    assert "They sign in with their council account" in page
    response = client.post(reverse("accounts:person-create"), _person_form(personas), follow=True)
    assert "They sign in with their council account." in response.content.decode()
    nia = User.objects.get(username="nia.jones")
    assert not nia.has_usable_password()
    assert not Notification.objects.filter(recipient=nia).exists()
    assert not Event.objects.filter(action="account.set_password_link_sent").exists()


def test_adding_a_person_says_what_to_put_right(personas: Personas) -> None:
    client = signed_in(personas.admin)
    response = client.post(
        reverse("accounts:person-create"),
        _person_form(personas, username="pat", email="PAT@example.org", first_name="", role=None),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert "Enter the person’s first name" in body
    assert "Choose the person’s role" in body
    # The form is valid: the service's refusals are shown on their fields.
    response = client.post(
        reverse("accounts:person-create"), _person_form(personas, username="Pat")
    )
    assert "Someone already has this username" in response.content.decode()
    response = client.post(
        reverse("accounts:person-create"), _person_form(personas, email="PAT@example.org")
    )
    assert "Someone else already has this email address" in response.content.decode()
    response = client.post(
        reverse("accounts:person-create"), _person_form(personas, username="new")
    )
    assert "cannot be a username" in response.content.decode()
    assert not User.objects.filter(username__in=["nia.jones", "new"]).exists()


def test_changing_a_person_records_exactly_what_changed(personas: Personas) -> None:
    client = signed_in(personas.admin)
    pat = personas.practitioner
    start = _head()
    response = client.post(
        reverse("accounts:person-edit", args=["pat"]),
        {
            "first_name": pat.first_name,
            "last_name": pat.last_name,
            "email": pat.email,
            "job_title": "Senior Social Worker",
            "role": Role.AUDITOR.value,
            "teams": [personas.cic_team.pk],
            "service_areas": [],
            "manager": personas.auditor.pk,
        },
    )
    assert response.status_code == 302
    pat.refresh_from_db()
    assert pat.role == Role.AUDITOR and pat.manager == personas.auditor
    assert list(pat.teams.all()) == [personas.cic_team]
    assert _entries(start) == [
        (
            "account.changed",
            "ada",
            {"username": "pat", "changed": ["role", "job_title", "manager"], "role": "auditor"},
        ),
        (
            "account.teams_changed",
            "ada",
            {"username": "pat", "change": "remove", "teams": [personas.cp_team.pk]},
        ),
        (
            "account.teams_changed",
            "ada",
            {"username": "pat", "change": "add", "teams": [personas.cic_team.pk]},
        ),
    ]
    page = client.get(reverse("accounts:person-detail", args=["pat"])).content.decode()
    assert "Senior Social Worker" in page and "Teams changed" in page


def test_a_manager_cannot_be_the_person_or_someone_they_manage(personas: Personas) -> None:
    client = signed_in(personas.admin)
    hilda = personas.head_of_cp
    personas.practitioner.manager = hilda
    personas.practitioner.save()
    response = client.post(
        reverse("accounts:person-edit", args=["hilda"]),
        {
            "first_name": hilda.first_name,
            "last_name": hilda.last_name,
            "email": hilda.email,
            "role": hilda.role,
            "service_areas": [area("child-protection").pk],
            "manager": personas.practitioner.pk,
        },
    )
    assert "one of the people they manage" in response.content.decode()
    hilda.refresh_from_db()
    assert hilda.manager is None


def test_disabling_a_person_asks_first_then_ends_their_sessions_at_once(
    personas: Personas,
) -> None:
    admin = signed_in(personas.admin)
    pat = signed_in(personas.practitioner)
    assert pat.get("/").status_code == 200
    url = reverse("accounts:person-disable", args=["pat"])
    confirm = admin.get(url).content.decode()
    assert "Are you sure you want to disable" in confirm
    assert pat.get("/").status_code == 200  # asking changed nothing
    start = _head()
    response = admin.post(url, follow=True)
    assert "is disabled and signed out everywhere" in response.content.decode()
    after = pat.get("/")
    assert after.status_code == 302 and after["Location"].startswith("/sign-in/")
    assert not Client().login(username="pat", password=PASSWORD)
    assert _entries(start) == [
        (
            "account.changed",
            "ada",
            {"username": "pat", "changed": ["is_active"], "is_active": False},
        )
    ]
    # And back again.
    start = _head()
    assert (
        "Let them sign in"
        in admin.get(reverse("accounts:person-enable", args=["pat"])).content.decode()
    )
    admin.post(reverse("accounts:person-enable", args=["pat"]))
    assert Client().login(username="pat", password=PASSWORD)
    assert _entries(start) == [
        ("account.changed", "ada", {"username": "pat", "changed": ["is_active"], "is_active": True})
    ]


def test_an_administrator_cannot_disable_themselves_or_the_last_administrator(
    personas: Personas,
) -> None:
    ada = signed_in(personas.admin)
    response = ada.post(reverse("accounts:person-disable", args=["ada"]))
    assert response.status_code == 400
    assert "You cannot disable your own account" in response.content.decode()
    second = UserFactory(username="grace", role=Role.ADMINISTRATOR)
    grace = signed_in(second)
    response = grace.post(
        reverse("accounts:person-edit", args=["ada"]),
        {
            "first_name": "Ada",
            "last_name": "Person",
            "email": "ada@example.org",
            "role": Role.PRACTITIONER.value,
        },
    )
    assert response.status_code == 302  # grace is still an administrator
    response = grace.post(
        reverse("accounts:person-edit", args=["grace"]),
        {
            "first_name": "Grace",
            "last_name": "Person",
            "email": "grace@example.org",
            "role": Role.PRACTITIONER.value,
        },
    )
    assert "QPA needs at least one active administrator" in response.content.decode()
    second.refresh_from_db()
    assert second.role == Role.ADMINISTRATOR


def _enrolled(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    recovery_codes_replace(acting_user=user, user=user)
    return device


def test_resetting_a_lost_authenticator_app_needs_a_reason_and_is_recorded(
    personas: Personas, settings: Any
) -> None:
    hilda = personas.head_of_cp
    _enrolled(hilda)
    hilda_browser = signed_in(hilda)
    admin = signed_in(personas.admin)
    detail = admin.get(reverse("accounts:person-detail", args=["hilda"])).content.decode()
    assert "Set up; 10 unused recovery codes" in detail
    url = reverse("accounts:person-mfa-reset", args=["hilda"])
    assert "Reset hilda" not in admin.get(url).content.decode()  # names her, not her username
    refused = admin.post(url, {"reason": "  "})
    assert refused.status_code == 400
    assert "Say why the authenticator app is being reset" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=hilda).exists()

    start = _head()
    reason = "Phone lost on 3 December; checked by a call to her manager"
    response = admin.post(url, {"reason": reason}, follow=True)
    body = response.content.decode()
    assert "They set up a new one when they next sign in" in body
    assert f"Authenticator app reset: {reason}" in body  # the person's history
    assert not TOTPDevice.objects.filter(user=hilda).exists()
    assert not RecoveryCode.objects.filter(user=hilda).exists()
    assert hilda_browser.get("/").status_code == 302  # signed out at once
    assert _entries(start) == [
        (
            "account.mfa_reset",
            "ada",
            {"username": "hilda", "reset_reason": reason, "devices": 1},
        )
    ]
    # At her next sign-in, with the second factor required, she sets up an app again.
    settings.QPA_MFA_REQUIRED = True
    again = Client()
    again.post("/sign-in/", {"username": "hilda", "password": PASSWORD})
    assert again.get("/")["Location"].startswith(reverse("accounts:mfa-enrol"))


def test_an_administrator_cannot_reset_their_own_authenticator_app(personas: Personas) -> None:
    _enrolled(personas.admin)
    admin = signed_in(personas.admin)
    response = admin.post(
        reverse("accounts:person-mfa-reset", args=["ada"]), {"reason": "lost my phone"}
    )
    assert "Ask another administrator" in response.content.decode()
    assert TOTPDevice.objects.filter(user=personas.admin).exists()


def test_a_new_link_voids_the_password_and_any_earlier_link(personas: Personas) -> None:
    admin = signed_in(personas.admin)
    pat = signed_in(personas.practitioner)
    url = reverse("accounts:person-password-link", args=["pat"])
    assert "Email the link" in admin.get(url).content.decode()
    admin.post(url)
    first = Notification.objects.get(recipient=personas.practitioner).url
    start = _head()
    admin.post(url)
    second = Notification.objects.filter(recipient=personas.practitioner).first()
    assert second is not None and second.url != first
    assert _entries(start) == [
        ("account.set_password_link_sent", "ada", {"username": "pat", "days": 3})
    ]
    assert pat.get("/").status_code == 302  # signed out
    assert not Client().login(username="pat", password=PASSWORD)
    assert "This link does not work" in Client().get(first, follow=True).content.decode()
    assert "Choose your password" in Client().get(second.url, follow=True).content.decode()


def test_the_person_page_shows_last_sign_in_teams_and_who_they_manage(
    personas: Personas,
) -> None:
    personas.practitioner.manager = personas.auditor
    personas.practitioner.save()
    signed_in(personas.auditor)
    alice = User.objects.get(username="alice")
    assert alice.last_login is not None
    page = signed_in(personas.admin).get(reverse("accounts:person-detail", args=["alice"]))
    body = page.content.decode()
    assert date_format(timezone.localtime(alice.last_login), "j F Y") in body
    assert "Never" not in body
    assert "CiC Team A (Children in Care)" in body
    assert 'href="/people/pat/"' in body  # whom she manages


def test_a_person_page_that_does_not_exist_is_404(personas: Personas) -> None:
    admin = signed_in(personas.admin)
    assert admin.get(reverse("accounts:person-detail", args=["nobody"])).status_code == 404
