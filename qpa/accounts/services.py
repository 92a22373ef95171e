"""Writes to accounts: adding and changing people, enrolment in the second factor,
recovery codes, resetting a lost authenticator app, disabling people, one-time links to
set a password. Each is recorded in the event log; changes to the person's own fields,
teams and service areas are recorded by qpa.accounts.signals whatever made them."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from qpa.accounts.mfa import RECOVERY_CODE_COUNT, new_recovery_code, recovery_code_hash
from qpa.accounts.models import RecoveryCode, Role, User
from qpa.accounts.oidc import oidc_enabled
from qpa.accounts.set_password import link_days, set_password_link_issued, set_password_path
from qpa.core.events import MAX_DATA_STRING, event_record
from qpa.organisation.models import ServiceArea, Team, TeamMembership

# Paths of the people pages that a username would otherwise shadow.
RESERVED_USERNAMES = frozenset({"new"})


@transaction.atomic
def recovery_codes_replace(*, acting_user: User, user: User) -> list[str]:
    """Make a new set of recovery codes, voiding the old ones. The codes are returned
    to be shown once; only their hashes are stored."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    rows = []
    for code in codes:
        salt = secrets.token_hex(16)
        rows.append(RecoveryCode(user=user, salt=salt, code_hash=recovery_code_hash(salt, code)))
    RecoveryCode.objects.bulk_create(rows)
    event_record(
        action="auth.recovery_codes_replaced",
        actor=acting_user,
        obj=user,
        data={"username": user.username, "count": len(codes)},
    )
    return codes


@transaction.atomic
def mfa_device_confirm(*, acting_user: User, device: TOTPDevice) -> list[str]:
    """The person has typed a code from their new authenticator: the device counts from
    now on, any other half-set-up device goes, and they get their recovery codes."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    event_record(
        action="auth.mfa_enrolled",
        actor=acting_user,
        obj=device.user,
        data={"username": device.user.username},
    )
    return recovery_codes_replace(acting_user=acting_user, user=device.user)


@transaction.atomic
def mfa_reset(*, acting_user: User, user: User, reason: str) -> None:
    """Someone has lost their authenticator app: remove it and their recovery codes, and
    end their sessions. At their next sign-in they set up an app again. The reason is
    recorded."""
    if acting_user.pk == user.pk:
        raise ValidationError("Ask another administrator to reset your own authenticator app")
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": "Say why the authenticator app is being reset"})
    if len(reason) > MAX_DATA_STRING:
        raise ValidationError(
            {"reason": f"The reason must be {MAX_DATA_STRING} characters or fewer"}
        )
    devices = TOTPDevice.objects.filter(user=user).delete()[0]
    RecoveryCode.objects.filter(user=user).delete()
    _end_sessions(user)
    event_record(
        action="account.mfa_reset",
        actor=acting_user,
        obj=user,
        data={"username": user.username, "reset_reason": reason, "devices": devices},
    )


@transaction.atomic
def user_disable(*, acting_user: User, user: User) -> None:
    """Stop someone signing in, and end every session they have now.

    The session middleware refuses inactive users as well, so a session that is being
    saved at this very moment still ends at its next request. Nobody disables their own
    account, and the last active administrator stays.
    """
    if acting_user.pk == user.pk:
        raise ValidationError("You cannot disable your own account")
    _keep_an_administrator(user, role=user.role, is_active=False)
    user.is_active = False
    user.save(update_fields=["is_active"])
    _end_sessions(user)


def _end_sessions(user: User) -> None:
    user_id = str(user.pk)
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == user_id
    ]
    Session.objects.filter(session_key__in=ended).delete()


# --- People: added and changed by administrators (qpa/accounts/people_views.py) -------


def _clean_person(
    *,
    user: User | None,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    manager: User | None,
) -> None:
    errors: dict[str, str] = {}
    if user is None:
        if not username:
            errors["username"] = "Enter a username"
        else:
            try:
                User.username_validator(username)
            except ValidationError:
                errors["username"] = (
                    "A username may use only letters, numbers and the characters @ . + - _"
                )
            else:
                if username.lower() in RESERVED_USERNAMES:
                    errors["username"] = f"“{username}” cannot be a username: choose another"
                elif User.objects.filter(username__iexact=username).exists():
                    errors["username"] = "Someone already has this username: choose another"
    if not first_name:
        errors["first_name"] = "Enter the person’s first name"
    if not last_name:
        errors["last_name"] = "Enter the person’s last name"
    if not email:
        errors["email"] = "Enter the person’s work email address"
    elif User.objects.filter(email__iexact=email).exclude(pk=user.pk if user else 0).exists():
        # The council's sign-in matches people by email: two accounts must not share one.
        errors["email"] = "Someone else already has this email address"
    if role not in Role.values:
        errors["role"] = "Choose the person’s role"
    if manager is not None and user is not None and _manages(user, manager):
        errors["manager"] = "Choose someone who is not this person or one of the people they manage"
    if errors:
        raise ValidationError(errors)


def _manages(user: User, manager: User) -> bool:
    """True when `manager` is `user` or below `user` in the chain of managers."""
    seen: set[int] = set()
    person: User | None = manager
    while person is not None and person.pk not in seen:
        if person.pk == user.pk:
            return True
        seen.add(person.pk)
        person = person.manager
    return False


def _keep_an_administrator(user: User, *, role: str, is_active: bool) -> None:
    """Refuse a change that would leave QPA with no active administrator."""
    was_admin = user.is_active and user.role == Role.ADMINISTRATOR
    stays_admin = is_active and role == Role.ADMINISTRATOR
    if not was_admin or stays_admin:
        return
    others = User.objects.filter(role=Role.ADMINISTRATOR, is_active=True).exclude(pk=user.pk)
    if not others.exists():
        raise ValidationError(
            {"role": "QPA needs at least one active administrator: add another one first"}
        )


def _set_memberships(
    *, acting_user: User | None, user: User, teams: Iterable[Team], areas: Iterable[ServiceArea]
) -> None:
    """Change only what differs, so the event log names exactly what was added or removed."""
    wanted_teams = {team.pk: team for team in teams}
    current_teams = set(TeamMembership.objects.filter(user=user).values_list("team_id", flat=True))
    gone = current_teams - set(wanted_teams)
    if gone:
        # One delete per row, so the post_delete receiver records each removal.
        for membership in TeamMembership.objects.filter(user=user, team_id__in=gone):
            membership.delete()
    added = [team for pk, team in wanted_teams.items() if pk not in current_teams]
    if added:
        user.teams.add(
            *added, through_defaults={"created_by": acting_user, "updated_by": acting_user}
        )
    wanted_areas = {area.pk for area in areas}
    current_areas = set(user.service_areas.values_list("pk", flat=True))
    if current_areas - wanted_areas:
        user.service_areas.remove(*(current_areas - wanted_areas))
    if wanted_areas - current_areas:
        user.service_areas.add(*(wanted_areas - current_areas))


@transaction.atomic
def user_create(
    *,
    acting_user: User | None,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    job_title: str = "",
    teams: Iterable[Team] = (),
    service_areas: Iterable[ServiceArea] = (),
    manager: User | None = None,
    password: str | None = None,
) -> User:
    """Add a person. Nobody types their password for them: with the council's sign-in
    (OpenID Connect) they use their council account, matched by email; otherwise they are
    emailed a one-time link to choose one. `password` is for `qpa create-administrator`
    alone, where the administrator chooses their own."""
    username, email = username.strip(), email.strip()
    first_name, last_name = " ".join(first_name.split()), " ".join(last_name.split())
    _clean_person(
        user=None,
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=role,
        manager=manager,
    )
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        job_title=job_title.strip(),
        role=role,
        manager=manager,
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    _set_memberships(acting_user=acting_user, user=user, teams=teams, areas=service_areas)
    if password is None and not oidc_enabled():
        user_set_password_link_send(acting_user=acting_user, user=user)
    return user


@transaction.atomic
def user_update(
    *,
    acting_user: User,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    job_title: str = "",
    teams: Iterable[Team] = (),
    service_areas: Iterable[ServiceArea] = (),
    manager: User | None = None,
) -> User:
    """Change a person's name, address, role, teams, service areas and manager."""
    email = email.strip()
    first_name, last_name = " ".join(first_name.split()), " ".join(last_name.split())
    _clean_person(
        user=user,
        username=user.username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=role,
        manager=manager,
    )
    _keep_an_administrator(user, role=role, is_active=user.is_active)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.job_title, user.role, user.manager = job_title.strip(), role, manager
    user.save(update_fields=["first_name", "last_name", "email", "job_title", "role", "manager"])
    _set_memberships(acting_user=acting_user, user=user, teams=teams, areas=service_areas)
    return user


@transaction.atomic
def user_enable(*, acting_user: User, user: User) -> None:
    """Let a disabled person sign in again."""
    user.is_active = True
    user.save(update_fields=["is_active"])


@transaction.atomic
def user_set_password_link_send(*, acting_user: User | None, user: User) -> None:
    """Email the person a one-time link to choose a new password (through the outbox).

    Their current password stops working, any earlier link is void and their sessions
    end: whoever asked for the link may have reason to think the password is known."""
    if not user.is_active:
        raise ValidationError("This person is disabled: enable them first")
    if not user.email:
        raise ValidationError("This person has no email address: add one first")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    _end_sessions(user)
    days = link_days()
    event_record(
        action="account.set_password_link_sent",
        actor=acting_user,
        obj=user,
        data={"username": user.username, "days": days},
    )
    set_password_link_issued.send(sender=User, user=user, path=set_password_path(user), days=days)
