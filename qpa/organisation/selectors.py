from __future__ import annotations

from qpa.organisation.models import Council

DEFAULT_COUNCIL_NAME = "Your council"


def council_name() -> str:
    council = Council.objects.order_by("pk").only("name").first()
    return council.name if council else DEFAULT_COUNCIL_NAME
