"""The service navigation: which sections each role sees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from qpa.accounts.models import Role
from qpa.notifications.selectors import navigation_label


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


# (label, url name, roles that see it); None means every signed-in person.
_SECTIONS: list[tuple[str, str, set[str] | None]] = [
    ("Home", "core:home", None),
    ("Notifications", "notifications:inbox", None),
    ("Audit tools", "tools:tool-list", {Role.ADMINISTRATOR}),
    ("Rating scales", "tools:scale-list", {Role.ADMINISTRATOR}),
    (
        "Audit cycles",
        "cycles:cycle-list",
        {
            Role.ADMINISTRATOR,
            Role.HEAD_OF_SERVICE,
            Role.ASSISTANT_DIRECTOR,
            Role.DEPUTY_DIRECTOR,
            Role.PERFORMANCE,
        },
    ),
    ("My allocations", "cycles:my-allocations", {Role.AUDITOR, Role.HEAD_OF_SERVICE}),
    ("Imports", "cases:import-list", {Role.ADMINISTRATOR, Role.PERFORMANCE}),
    ("Assurance", "assurance:overview", {r.value for r in Role if r != Role.PRACTITIONER}),
    ("Event log", "core:event-list", {Role.ADMINISTRATOR}),
    ("My actions", "actions:my-actions", None),
    (
        "Reports",
        "reports:report",
        {
            Role.PERFORMANCE,
            Role.ASSISTANT_DIRECTOR,
            Role.DEPUTY_DIRECTOR,
            Role.ADMINISTRATOR,
            Role.HEAD_OF_SERVICE,
        },
    ),
]


def navigation_for(user: Any, path: str) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    visible = []
    for label, url_name, roles in _SECTIONS:
        if roles is not None and user.role not in roles:
            continue
        if url_name == "notifications:inbox":
            label = navigation_label(user=user)
        visible.append((label, reverse(url_name)))
    # The section whose address is the longest prefix of this page is the current one.
    matches = [url for _, url in visible if path == url or (url != "/" and path.startswith(url))]
    current = max(matches, key=len, default=None)
    return [NavItem(label=label, url=url, active=url == current) for label, url in visible]
