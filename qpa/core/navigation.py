"""The service navigation: which sections each role sees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from qpa.accounts.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


# (label, url name, roles that see it); None means every signed-in person.
_SECTIONS: list[tuple[str, str, set[str] | None]] = [
    ("Home", "core:home", None),
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
]


def navigation_for(user: Any, path: str) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    for label, url_name, roles in _SECTIONS:
        if roles is not None and user.role not in roles:
            continue
        url = reverse(url_name)
        active = path == url if url == "/" else path.startswith(url)
        items.append(NavItem(label=label, url=url, active=active))
    return items
