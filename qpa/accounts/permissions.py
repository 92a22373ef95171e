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


class Permission(enum.Enum):
    """A kind of work, valued by the roles that may do it."""

    # Configuration: tools, scales, teams, people, the event log.
    ADMINISTER = frozenset({Role.ADMINISTRATOR})
    # Import Annex A workbooks, case lists and past audits.
    IMPORT_DATA = frozenset({Role.ADMINISTRATOR, Role.PERFORMANCE})
    # Create cycles and sampling plans, draw and allocate, follow a cycle's progress.
    MANAGE_CYCLES = frozenset({Role.ADMINISTRATOR, Role.PERFORMANCE} | _LEADERS)
    # Be given cases to audit, re-audit or moderate.
    HOLD_ALLOCATIONS = frozenset({Role.AUDITOR, Role.HEAD_OF_SERVICE})
    # Read the monthly report and its exports.
    READ_REPORTS = frozenset({Role.ADMINISTRATOR, Role.PERFORMANCE} | _LEADERS)
    # Edit the report's key messages; exchange benchmarking files.
    EDIT_REPORTS = frozenset({Role.ADMINISTRATOR, Role.PERFORMANCE})
    # Read the assurance pages (re-audits, moderation, agreement).
    READ_ASSURANCE = frozenset({Role.AUDITOR, Role.ADMINISTRATOR, Role.PERFORMANCE} | _LEADERS)
    # Draw moderation samples, read assurance figures.
    MANAGE_ASSURANCE = frozenset({Role.ADMINISTRATOR, Role.PERFORMANCE} | _LEADERS)
    # Draw the quarterly re-audit sample and send its summary.
    DRAW_REAUDITS = frozenset({Role.ADMINISTRATOR} | _LEADERS)
    # List re-audits and their draws.
    LIST_REAUDITS = frozenset({Role.AUDITOR, Role.ADMINISTRATOR} | _LEADERS)
    # Open a re-audit's comparison page (case detail: never administrators).
    OPEN_REAUDITS = frozenset({Role.AUDITOR} | _LEADERS)
    # Open the cases and audits of one's remit: the case and audit lists, a case's page
    # and the audit list's download (case detail: never Performance or Administrators).
    OPEN_CASES = frozenset({Role.AUDITOR, Role.PRACTITIONER} | _LEADERS)
    # Reopen a submitted audit with a reason.
    REOPEN_AUDITS = frozenset({Role.HEAD_OF_SERVICE})
    # Reply once to an audit of one's own case.
    REPLY_TO_AUDITS = frozenset({Role.PRACTITIONER})
    # Follow up inadequate and critical audits and the actions of one's areas.
    FOLLOW_UP = _LEADERS
    # Set follow-up actions on an audit.
    SET_ACTIONS = frozenset({Role.HEAD_OF_SERVICE})
    # Be the owner of a follow-up action.
    OWN_ACTIONS = frozenset({Role.AUDITOR, Role.PRACTITIONER} | _LEADERS)
    # Remit over every case of the service.
    WHOLE_SERVICE = _DIRECTORS
    # Receive the quarterly re-audit summary and critical escalations.
    RECEIVE_DIRECTOR_SUMMARIES = _DIRECTORS

    @property
    def roles(self) -> frozenset[Role]:
        roles: frozenset[Role] = self.value
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
