"""What an audit page says when the audit is a second look at a case: a re-audit of an
inadequate audit, or a blind moderation audit.

Re-audits and moderations belong to the assurance app, which stands above audits; they
are read here through the Audit's reverse relations (`reaudit_of`, `moderation_of`), so
that audits need not import assurance.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, CharField, QuerySet, Value, When

from qpa.audits.models import Audit

RE_AUDIT, MODERATION_AUDIT = "Re-audit", "Moderation audit"


def with_second_look(audits: QuerySet[Audit]) -> QuerySet[Audit]:
    """`audits`, each with `second_look`: "Re-audit", "Moderation audit" or "" — what a
    list of audits marks, in its own query rather than one a row. Only the moderation
    audit is marked: the first audit of a moderated case is an audit like any other."""
    return audits.annotate(
        second_look=Case(
            When(reaudit_of__isnull=False, then=Value(RE_AUDIT)),
            When(moderation_of__isnull=False, then=Value(MODERATION_AUDIT)),
            default=Value(""),
            output_field=CharField(),
        )
    )


def second_look_of(audit: Audit) -> tuple[str, str, str] | None:
    """(sentence, url, link text) when the audit is a re-audit or a moderation audit."""
    try:
        reaudit = audit.reaudit_of
    except ObjectDoesNotExist:
        reaudit = None
    if reaudit is not None:
        return (
            f"This is a re-audit ({reaudit.draw.quarter}) of an audit rated inadequate or "
            "critical.",
            reaudit.get_absolute_url(),
            "Compare it with the original audit",
        )
    # Only the moderation audit says so: the first auditor is not told their case is
    # being moderated.
    try:
        moderation = audit.moderation_of
    except ObjectDoesNotExist:
        return None
    return (
        "This is a blind moderation audit.",
        moderation.get_absolute_url(),
        "See the moderation",
    )
