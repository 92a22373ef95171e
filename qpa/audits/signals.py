"""What audits tell the apps above them, so that audits need not import those apps.

Both signals are sent inside the transaction that made the change, and Django runs their
receivers at once, in that transaction: whatever a receiver writes commits or rolls back
with the audit (docs/decisions/0083-layers-and-signals-up-the-layers.md).

- `audit_submitted(audit=...)`: an audit was submitted. Cycles mark its allocation done;
  assurance pairs moderations and settles re-audits.
- `counted_ratings_changed(audit_ids=...)`: the ratings the report counts changed for
  these audits (submission, reopening, moderation, re-audit, import, purge). Reports
  refresh their aggregates. Every change to counted ratings sends it.
"""

from __future__ import annotations

from django.dispatch import Signal

audit_submitted = Signal()
counted_ratings_changed = Signal()
