"""factory_boy factories and small builders, one module per QPA app; import them from here."""

from tests.support.factories.accounts import PASSWORD, UserFactory
from tests.support.factories.audits import submitted_audit
from tests.support.factories.cases import CaseFactory
from tests.support.factories.cycles import allocate
from tests.support.factories.organisation import TeamFactory, area
from tests.support.factories.tools import CP_CORE, rating

__all__ = [
    "CP_CORE",
    "PASSWORD",
    "CaseFactory",
    "TeamFactory",
    "UserFactory",
    "allocate",
    "area",
    "rating",
    "submitted_audit",
]
