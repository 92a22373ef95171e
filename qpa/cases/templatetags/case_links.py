"""A child ID on any page: a link to the case page when the reader may open the case.

The remit selector is the oracle. The cases a reader may open are read once per request
(not once per row), so a list of a hundred audits costs one query more, not a hundred.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from qpa.accounts.permissions import Permission, user_can
from qpa.cases.models import Case
from qpa.cases.selectors import cases_visible_to

register = template.Library()

_CACHE = "_qpa_openable_cases"


class _Everything:
    def __contains__(self, item: object) -> bool:
        return True


def openable_case_ids(request: Any) -> Any:
    """The ids of the cases the signed-in reader may open, remembered on the request."""
    found = getattr(request, _CACHE, None)
    if found is not None:
        return found
    user = getattr(request, "user", None)
    if not user_can(user, Permission.OPEN_CASES):
        found = frozenset()
    elif user_can(user, Permission.WHOLE_SERVICE):
        found = _Everything()
    else:
        found = frozenset(cases_visible_to(user=user).values_list("pk", flat=True))
    setattr(request, _CACHE, found)
    return found


def may_open_case(request: Any, case: Case | None) -> bool:
    return case is not None and case.pk in openable_case_ids(request)


@register.simple_tag(takes_context=True)
def child_id(context: Any, case: Case | None, text: str = "") -> SafeString | str:
    """`{% child_id audit.case %}`: the child ID, linked when the reader may open it."""
    if case is None:
        return ""
    request = context.get("request")
    label = text or case.child_id
    if request is not None and may_open_case(request, case):
        url = reverse("cases:case-detail", kwargs={"public_id": case.public_id})
        return format_html('<a class="govuk-link" href="{}">{}</a>', url, label)
    return label


@register.filter
def may_open(case: Case | None, request: Any) -> bool:
    """`{% if audit.case|may_open:request %}` for a page that shows more than the ID."""
    return may_open_case(request, case)
