"""Learning from the evidence: the words and phrases that most separate evidence rated
inadequate or worse from evidence rated good or better (decision 0127). For readers who
may read evidence: the audits it reads are those the reader may open, and each phrase
links to them."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from qpa.accounts.permissions import Permission, acting_user, permission_required
from qpa.audits.models import Audit
from qpa.core.events import record_view
from qpa.core.forms import GovukForm
from qpa.reports.phrases import MIN_AUDITS, evidence_contrast
from qpa.reports.views import _figures_context, _params
from qpa.tools.models import AuditTool, Domain

EVERY_DOMAIN = ""


class DomainChoiceForm(GovukForm):
    domain = forms.ChoiceField(
        label="Domain",
        required=False,
        error_messages={"invalid_choice": "Choose one of the tool's domains."},
    )

    def __init__(self, *args: Any, tool: AuditTool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = list(
            Domain.objects.filter(version__tool=tool)
            .order_by("version__number", "order")
            .values_list("name", flat=True)
        )
        newest_first = list(dict.fromkeys(reversed(names)))[::-1]
        cast(forms.ChoiceField, self.fields["domain"]).choices = [
            (EVERY_DOMAIN, "Every domain"),
            *((name, name) for name in newest_first),
        ]


@permission_required(Permission.READ_EVIDENCE)
@require_GET
def phrases(request: HttpRequest) -> HttpResponse:
    """The phrases of one domain's evidence (every domain's when none is chosen) in the
    report's period and filters."""
    params = _params(request)
    reader = acting_user(request)
    tool = params.filters.tool
    form = DomainChoiceForm(request.GET or None, tool=tool)
    domain = form.cleaned_data["domain"] if form.is_valid() else EVERY_DOMAIN
    found = evidence_contrast(
        reader=reader,
        filters=params.filters,
        period_from=params.period_from,
        period_to=params.period_to,
        domain=domain or None,
    )
    shown = {ref.public_id for p in (*found.poor, *found.good) for ref in p.audits}
    audits = list(Audit.objects.filter(public_id__in=shown).select_related("case"))
    if audits:
        record_view(request, action="report.evidence_read", objects=audits)
    context = _figures_context(params, "phrases", hidden=False)
    context["figure_pages"] = [
        *context["figure_pages"],
        ("phrases", "Learning from the evidence", reverse("reports:phrases")),
    ]
    context.update(
        form=form,
        domain=domain,
        contrast=found,
        other_texts=found.texts - found.poor_texts - found.good_texts,
        min_audits=MIN_AUDITS,
        report_pairs=[p for p in params.pairs() if p[0] != "intervals"],
        sides=[
            ("poor", "Leaning towards evidence rated inadequate or worse", found.poor),
            ("good", "Leaning towards evidence rated good or better", found.good),
        ],
    )
    return render(request, "reports/phrases.html", context, status=400 if form.errors else 200)
