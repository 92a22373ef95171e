"""Every change to a person goes into the event log, whichever path made it (a page, a
service, a command, the shell): created, changed (which fields), password changed,
deleted, teams and service areas changed. And a sign-in is recorded once the person has
passed every step QPA asks for, not after the password alone.

Who made the change is the person whose request is being answered
(`qpa.core.events.current_request`); in a command there is none, and the entry says so
by its empty actor. Only field names and roles are recorded, never names or addresses.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.http import HttpRequest

from qpa.accounts.mfa import OIDC_BACKEND
from qpa.accounts.models import User
from qpa.core.events import current_request, event_record

# Fields whose change is recorded by name; those in VALUES_RECORDED with their new value.
FIELDS_WATCHED = (
    "username",
    "first_name",
    "last_name",
    "email",
    "role",
    "job_title",
    "manager_id",
    "is_active",
    "is_staff",
    "is_superuser",
)
VALUES_RECORDED = ("role", "is_active", "is_staff", "is_superuser")
_BEFORE = "_qpa_fields_before"


def _actor() -> Any:
    request = current_request()
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def _record(action: str, user: User, **data: Any) -> None:
    event_record(action=action, actor=_actor(), obj=user, data={"username": user.username, **data})


def _remember_fields(sender: type[User], instance: User, raw: bool = False, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if raw or instance.pk is None:
        return
    # Signing in (last_login) and a hash upgrade (password) change nothing about the person.
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return
    before = User.objects.filter(pk=instance.pk).values(*FIELDS_WATCHED).first()
    setattr(instance, _BEFORE, before)


def _user_saved(
    sender: type[User], instance: User, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    if created:
        _record(
            "account.created",
            instance,
            role=instance.role,
            is_active=instance.is_active,
            is_superuser=instance.is_superuser,
        )
        return
    # Django keeps the new raw password until the save is done; a hash upgrade at sign-in
    # sets the hash without it, so it is not a change of password.
    if getattr(instance, "_password", None) is not None:
        _record("account.password_changed", instance)
    before = getattr(instance, _BEFORE, None)
    if before is None:
        return
    delattr(instance, _BEFORE)
    changed = [name for name in FIELDS_WATCHED if getattr(instance, name) != before[name]]
    if changed:
        _record(
            "account.changed",
            instance,
            changed=[name.removesuffix("_id") for name in changed],
            **{name: getattr(instance, name) for name in VALUES_RECORDED if name in changed},
        )


def _user_deleted(sender: type[User], instance: User, **kwargs: Any) -> None:
    _record("account.deleted", instance)


def _memberships_changed(
    action_code: str, key: str, actions: tuple[str, ...] = ("post_add", "post_remove", "post_clear")
) -> Any:
    """An m2m_changed receiver for the person's service areas or teams, from either side."""

    def receiver(
        sender: Any,
        instance: Any,
        action: str,
        reverse: bool,
        pk_set: set[int] | None,
        **kwargs: Any,
    ) -> None:
        if action not in actions:
            return
        change = action.removeprefix("post_")
        if reverse:  # changed from the team's or area's side: one entry per person
            for person in User.objects.filter(pk__in=pk_set or ()):
                _record(action_code, person, change=change, **{key: [instance.pk]})
            return
        _record(action_code, instance, change=change, **{key: sorted(pk_set or ())})

    return receiver


def _membership_saved(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    _record(
        "account.teams_changed",
        instance.user,
        change="add" if created else "changed",
        teams=[instance.team_id],
    )


def _membership_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        _record("account.teams_changed", user, change="remove", teams=[instance.team_id])


# --- Sign-in --------------------------------------------------------------------------


def fully_signed_in(request: HttpRequest | None, user: User) -> bool:
    """Whether a session just signed in needs no further step (for the event log): no
    second factor is asked for, or the council's identity provider asked for it."""
    if not settings.QPA_MFA_REQUIRED:
        return True
    session = getattr(request, "session", None)
    return bool(
        settings.QPA_OIDC_SATISFIES_MFA
        and session is not None
        and session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND
    )


def _signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """The password (or the council's sign-in) is accepted. The sign-in is recorded now
    only when no second step follows; otherwise when the second factor passes."""
    session = getattr(request, "session", None)
    via = (
        "council"
        if session is not None and session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND
        else "password"
    )
    if fully_signed_in(request, user):
        event_record(action="auth.sign_in", actor=user, request=request, data={"via": via})
    else:
        event_record(
            action="auth.first_step_passed", actor=user, request=request, data={"via": via}
        )


def connect() -> None:
    pre_save.connect(_remember_fields, sender=User, dispatch_uid="qpa-account-before")
    post_save.connect(_user_saved, sender=User, dispatch_uid="qpa-account-saved")
    post_delete.connect(_user_deleted, sender=User, dispatch_uid="qpa-account-deleted")
    m2m_changed.connect(
        _memberships_changed("account.service_areas_changed", "service_areas"),
        sender=User.service_areas.through,
        weak=False,
        dispatch_uid="qpa-account-service-areas",
    )
    memberships = User.teams.through
    # Removing a team membership deletes its row, which post_delete records; adding one
    # through `teams.add()` creates rows without post_save, so m2m_changed records that.
    m2m_changed.connect(
        _memberships_changed("account.teams_changed", "teams", ("post_add",)),
        sender=memberships,
        weak=False,
        dispatch_uid="qpa-account-teams",
    )
    post_save.connect(_membership_saved, sender=memberships, dispatch_uid="qpa-account-team")
    post_delete.connect(
        _membership_deleted, sender=memberships, dispatch_uid="qpa-account-team-removed"
    )
    user_logged_in.connect(_signed_in, dispatch_uid="qpa-event-sign-in")
