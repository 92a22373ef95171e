"""Who may do what: every named permission of QPA, and the roles that hold it.

The one place a set of roles is written. Views declare a permission with
`permission_required`, services and templates ask `user_can`, and the remit matrix in the
tests reads the same sets, so a role cannot be granted a page in one place and refused it
in another. Object-level remit (which cases, audits and actions) lives in the selectors of
each app; this module says only which kinds of work a role does.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from qpa.accounts.models import Role, User

View = TypeVar("View", bound=Callable[..., HttpResponse])

_LEADERS = frozenset({Role.HEAD_OF_SERVICE, Role.ASSISTANT_DIRECTOR, Role.DEPUTY_DIRECTOR})
_DIRECTORS = frozenset({Role.ASSISTANT_DIRECTOR, Role.DEPUTY_DIRECTOR})


@enum.unique
class Permission(enum.Enum):
    """A kind of work: what it is, and the roles that may do it. Each value names its
    work, so two permissions held by the same roles stay two permissions."""

    ADMINISTER = (
        "Configuration: tools, scales, teams, people, the event log.",
        frozenset({Role.ADMINISTRATOR}),
    )
    IMPORT_DATA = (
        "Import Annex A workbooks, case lists and past audits.",
        frozenset({Role.ADMINISTRATOR, Role.PERFORMANCE}),
    )
    MANAGE_CYCLES = (
        "Create cycles and sampling plans, draw and allocate, follow a cycle's progress.",
        frozenset({Role.ADMINISTRATOR, Role.PERFORMANCE} | _LEADERS),
    )
    HOLD_ALLOCATIONS = (
        "Be given cases to audit, re-audit or moderate.",
        frozenset({Role.AUDITOR, Role.HEAD_OF_SERVICE}),
    )
    MANAGE_A_TEAM = (
        "Be named a team's manager: told of its audits' findings, alerted on the inadequate "
        "and critical ones, and never its independent auditor.",
        frozenset({Role.AUDITOR, Role.HEAD_OF_SERVICE}),
    )
    READ_REPORTS = (
        "Read the monthly report and its exports.",
        frozenset({Role.ADMINISTRATOR, Role.PERFORMANCE} | _LEADERS),
    )
    EDIT_REPORTS = (
        "Edit the report's key messages; exchange benchmarking files.",
        frozenset({Role.ADMINISTRATOR, Role.PERFORMANCE}),
    )
    READ_ASSURANCE = (
        "Read the assurance pages (re-audits, moderation, agreement).",
        frozenset({Role.AUDITOR, Role.ADMINISTRATOR, Role.PERFORMANCE} | _LEADERS),
    )
    MANAGE_ASSURANCE = (
        "Draw moderation samples, read assurance figures.",
        frozenset({Role.ADMINISTRATOR, Role.PERFORMANCE} | _LEADERS),
    )
    DRAW_REAUDITS = (
        "Draw the quarterly re-audit sample and send its summary.",
        frozenset({Role.ADMINISTRATOR} | _LEADERS),
    )
    LIST_REAUDITS = (
        "List re-audits and their draws.",
        frozenset({Role.AUDITOR, Role.ADMINISTRATOR} | _LEADERS),
    )
    OPEN_REAUDITS = (
        "Open a re-audit's comparison page (case detail: never administrators).",
        frozenset({Role.AUDITOR} | _LEADERS),
    )
    OPEN_CASES = (
        "Open the cases and audits of one's remit: the case and audit lists, a case's page "
        "and the audit list's download (case detail: never Performance or Administrators).",
        frozenset({Role.AUDITOR, Role.PRACTITIONER} | _LEADERS),
    )
    REOPEN_AUDITS = (
        "Reopen a submitted audit with a reason.",
        frozenset({Role.HEAD_OF_SERVICE}),
    )
    REPLY_TO_AUDITS = (
        "Reply once to an audit of one's own case.",
        frozenset({Role.PRACTITIONER}),
    )
    FOLLOW_UP = (
        "Follow up inadequate and critical audits and the actions of one's areas.",
        _LEADERS,
    )
    READ_EVIDENCE = (
        "Read what auditors wrote across the audits of one's remit: the report's "
        "“Learning from the evidence” (never a figures-only role).",
        _LEADERS,
    )
    SET_ACTIONS = (
        "Set follow-up actions on an audit.",
        frozenset({Role.HEAD_OF_SERVICE}),
    )
    OWN_ACTIONS = (
        "Be the owner of a follow-up action.",
        frozenset({Role.AUDITOR, Role.PRACTITIONER} | _LEADERS),
    )
    SEE_SERVICE_FIGURES = (
        "See the month's figures for the whole service on the home page.",
        frozenset({Role.PERFORMANCE} | _DIRECTORS),
    )
    WHOLE_SERVICE = (
        "Remit over every case of the service.",
        _DIRECTORS,
    )
    RECEIVE_DIRECTOR_SUMMARIES = (
        "Receive the quarterly re-audit summary and critical escalations.",
        _DIRECTORS,
    )

    @property
    def description(self) -> str:
        description: str = self.value[0]
        return description

    @property
    def roles(self) -> frozenset[Role]:
        roles: frozenset[Role] = self.value[1]
        return roles


def user_can(user: Any, permission: Permission) -> bool:
    """True when `user` is signed in, active, and their role holds `permission`."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return getattr(user, "role", None) in permission.roles


def permission_required(permission: Permission) -> Callable[[View], View]:
    """Refuse a view (403) to anyone whose role does not hold `permission`."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not user_can(request.user, permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


class AuthenticatedRequest(HttpRequest):
    """A request behind sign-in: `request.user` is a QPA `User`, for the type checker."""

    user: User


def acting_user(request: HttpRequest) -> User:
    """The signed-in person making `request` (every view but sign-in is behind sign-in)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
