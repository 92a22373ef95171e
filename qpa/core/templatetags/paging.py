"""Page numbers for the GOV.UK pagination component: the first, the last, and those
around the current page, with ellipses between."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import template
from django.core.paginator import Paginator

register = template.Library()


@register.filter
def elided_pages(paginator: Paginator[Any], number: int) -> Iterator[int | str]:
    return paginator.get_elided_page_range(number, on_each_side=1, on_ends=1)
