"""`{{ count|plural:"case" }}` reads "1 case" or "3 cases"; irregular nouns give both
forms: `{{ count|plural:"child,children" }}`."""

from __future__ import annotations

from typing import Any

from django import template

from qpa.core import wording

register = template.Library()


@register.filter
def plural(count: Any, forms: str) -> str:
    noun, _, plural_form = forms.partition(",")
    if count is None or count == "":
        return ""
    return wording.plural(int(count), noun, plural_form or None)
