"""The service navigation: which sections each role sees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from qpa.accounts.permissions import Permission, user_can
from qpa.assurance.follow_up import follow_up_count
from qpa.notifications.selectors import navigation_label


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


# (label, url name, permission needed); None means every signed-in person.
_SECTIONS: list[tuple[str, str, Permission | None]] = [
    ("Home", "home:home", None),
    ("Notifications", "notifications:inbox", None),
    ("Follow-up", "assurance:follow-up", Permission.FOLLOW_UP),
    ("Audits", "audits:audit-list", Permission.OPEN_CASES),
    ("Cases", "cases:case-list", Permission.OPEN_CASES),
    ("Audit tools", "tools:tool-list", Permission.ADMINISTER),
    ("Rating scales", "tools:scale-list", Permission.ADMINISTER),
    ("Audit cycles", "cycles:cycle-list", Permission.MANAGE_CYCLES),
    ("My allocations", "cycles:my-allocations", Permission.HOLD_ALLOCATIONS),
    ("Imports", "cases:import-list", Permission.IMPORT_DATA),
    ("Assurance", "assurance:overview", Permission.READ_ASSURANCE),
    ("People", "accounts:people-list", Permission.ADMINISTER),
    ("Event log", "dataprotection:event-list", Permission.ADMINISTER),
    ("My actions", "actions:my-actions", None),
    ("Reports", "reports:report", Permission.READ_REPORTS),
]


def navigation_for(user: Any, path: str) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    visible = []
    for label, url_name, permission in _SECTIONS:
        if permission is not None and not user_can(user, permission):
            continue
        if url_name == "notifications:inbox":
            label = navigation_label(user=user)
        if url_name == "assurance:follow-up":
            waiting = follow_up_count(user=user)
            label = f"Follow-up ({waiting} to act on)" if waiting else label
        visible.append((label, reverse(url_name)))
    # The section whose address is the longest prefix of this page is the current one.
    matches = [url for _, url in visible if path == url or (url != "/" and path.startswith(url))]
    current = max(matches, key=len, default=None)
    return [NavItem(label=label, url=url, active=url == current) for label, url in visible]
