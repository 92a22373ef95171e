"""The child's voice and the family's view: questions defined with the tool version and
edited by administrators, answered on the audit as a task of its own, shown on Check
your answers and the audit page, and counted in the report — the share of audits where
the child's lived experience is evident and the share with the family's view, each with
n, suppressed like every small number (decision 0125)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from qpa.audits import services
from qpa.audits.models import Audit, VoiceAnswer
from qpa.core.models import Event
from qpa.reports.summary import report_summary
from qpa.tools import services as tool_services
from qpa.tools.models import Answer, AuditTool, QuestionAbout
from tests.support.audits import JSON_SAVE, completed, fresh, started, submit
from tests.support.factories import CP_CORE
from tests.support.people import signed_in
from tests.support.worlds import World


def _suggest(slug: str = CP_CORE) -> AuditTool:
    tool = AuditTool.objects.get(slug=slug)
    tool_services.tool_questions_suggest(acting_user=None, tool=tool)
    return tool


def _answer_all(audit: Audit, *, answer: str = Answer.YES) -> Audit:
    """Every question answered `answer`, with every short text written."""
    assert audit.auditor is not None
    return services.audit_save_voice(
        acting_user=audit.auditor,
        audit=audit,
        version=audit.version,
        answers={
            q.order: (answer, f"What the file says about {q.text}")
            for q in services.voice_questions(audit)
        },
    )


def _voice_post(audit: Audit, answers: dict[int, tuple[str, str]], **extra: str) -> dict[str, Any]:
    data: dict[str, Any] = {"version": str(audit.version), "then": "draft", **extra}
    for position, (answer, text) in answers.items():
        data[f"answer_{position}"] = answer
        data[f"text_{position}"] = text
    return data


# --- Defined with the tool version -------------------------------------------------------


def test_an_administrator_adds_the_suggested_questions_and_changes_one(world: World) -> None:
    client = signed_in(world.admin)
    tool = AuditTool.objects.get(slug=CP_CORE)
    page = client.get(f"/tools/{CP_CORE}/").content.decode()
    assert "No questions yet" in page and "Add QPA’s suggested questions (4)" in page

    client.post(f"/tools/{CP_CORE}/questions/suggested/")
    version = tool.current_version
    asked = list(version.questions.values_list("about", "text"))
    assert [about for about, _ in asked] == ["child", "child", "child", "family"]
    assert asked[0][1] == "Was the child seen, and seen alone where appropriate?"
    assert asked[3][1] == "Was the family asked about the help they received?"
    page = client.get(f"/tools/{CP_CORE}/").content.decode()
    assert "Short text “What did they say?”: when the answer is yes." in page
    assert "Add QPA’s suggested questions" not in page

    response = client.post(
        f"/tools/{CP_CORE}/questions/4/",
        {
            "text": "Were the parents asked what helped?",
            "hint": "At a review or conference.",
            "about": "family",
            "text_asked": "yes",
            "text_label": "What did they say?",
        },
    )
    assert response.status_code == 302
    assert version.questions.get(order=4).text == "Were the parents asked what helped?"


def test_a_question_that_asks_for_a_text_names_it_and_a_clash_is_refused(world: World) -> None:
    client = signed_in(world.admin)
    response = client.post(
        f"/tools/{CP_CORE}/questions/new/",
        {"text": "Was the child seen?", "about": "child", "text_asked": "always"},
    )
    assert response.status_code == 400
    assert "Say what the short text is for" in response.content.decode()
    ok = {"text": "Was the child seen?", "about": "child", "text_asked": "never"}
    assert client.post(f"/tools/{CP_CORE}/questions/new/", ok).status_code == 302
    again = client.post(f"/tools/{CP_CORE}/questions/new/", {**ok, "text": "was the child SEEN?"})
    assert again.status_code == 400
    assert "This tool already asks that question." in again.content.decode()
    # Nobody but an administrator edits a tool.
    assert signed_in(world.head).post(f"/tools/{CP_CORE}/questions/new/", ok).status_code == 403


def test_questions_are_versioned_with_the_tool(world: World) -> None:
    tool = AuditTool.objects.get(slug=CP_CORE)
    first = tool.current_version
    in_use = started(world)  # an audit on the version before any question
    assert in_use.tool_version == first

    version = tool_services.tool_question_add(
        acting_user=world.admin,
        tool=tool,
        spec=tool_services.QuestionSpec(
            about=QuestionAbout.CHILD, text="Was the child seen alone?", allows_not_applicable=True
        ),
    )
    assert version.number == first.number + 1
    assert not first.questions.exists()
    # The audit already started keeps its version: no task, nothing to answer, and
    # nothing stops its submission.
    assert services.voice_status(in_use) is None
    assert submit(completed(in_use)).status == "submitted"

    asked = started(world)
    assert asked.tool_version == version
    assert services.voice_status(asked) == services.TaskStatus.NOT_STARTED
    # Once an audit uses the new version, changing the question makes another one, which
    # copies the domains, their descriptors and the questions.
    newer = tool_services.tool_question_update(
        acting_user=world.admin,
        tool=tool,
        position=1,
        spec=tool_services.QuestionSpec(about=QuestionAbout.CHILD, text="Was the child seen?"),
    )
    assert newer.number == version.number + 1
    assert version.questions.get().text == "Was the child seen alone?"
    assert newer.questions.get().text == "Was the child seen?"
    assert newer.domains.count() == version.domains.count()
    assert sum(d.descriptors.count() for d in newer.domains.all()) == sum(
        d.descriptors.count() for d in version.domains.all()
    )
    removed = tool_services.tool_question_remove(acting_user=world.admin, tool=tool, position=1)
    assert removed.number == newer.number  # no audit uses it yet: changed in place
    assert not removed.questions.exists()
    assert asked.tool_version.questions.count() == 1


# --- Answered on the audit -----------------------------------------------------------------


def test_the_auditor_answers_on_a_task_of_its_own_and_cannot_submit_without_it(
    world: World,
) -> None:
    _suggest()
    audit = completed(started(world))
    client = signed_in(world.cal)
    tasks = client.get(f"/audits/{audit.public_id}/tasks/").content.decode()
    assert "Was the child seen and heard, and the family asked?" in tasks
    assert "You have completed 5 of 6 sections." in tasks

    check = client.post(
        f"/audits/{audit.public_id}/check/",
        {"version": audit.version, "token": "0c9b7a52-5a55-4ad4-9f57-3f1e7c9d2b10"},
    )
    assert check.status_code == 400
    assert f'href="/audits/{audit.public_id}/voice/">Answer every question' in (
        check.content.decode()
    )
    assert fresh(audit).status == "draft"

    page = client.get(f"/audits/{audit.public_id}/voice/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Question 1 of 4: the child’s lived experience" in html
    assert "Needed when you answer no or not recorded." in html
    # Question 1 does not allow "not applicable"; question 3 does.
    assert 'name="answer_1" type="radio" value="not_applicable"' not in html
    assert 'name="answer_3" type="radio" value="not_applicable"' in html

    answers = {
        1: (Answer.NO, "Not seen alone at the last two visits."),
        2: (Answer.YES, "In the child's words at each visit."),
        3: (Answer.NOT_APPLICABLE, ""),
        4: (Answer.YES, ""),  # "What did they say?" is needed with a yes
    }
    response = client.post(f"/audits/{audit.public_id}/voice/", _voice_post(audit, answers))
    assert response.status_code == 302
    audit = fresh(audit)
    assert services.voice_status(audit) == services.TaskStatus.IN_PROGRESS
    tasks = client.get(f"/audits/{audit.public_id}/tasks/").content.decode()
    assert 'id="task-voice-status"><strong class="govuk-tag">In progress</strong>' in tasks

    answers[4] = (Answer.YES, "Mother said the help with routines made a difference.")
    saved = client.post(
        f"/audits/{audit.public_id}/voice/", _voice_post(audit, answers), **JSON_SAVE
    )
    assert saved.status_code == 200 and saved.json()["status"] == "saved"
    audit = fresh(audit)
    assert services.voice_status(audit) == services.TaskStatus.COMPLETED
    assert dict(
        VoiceAnswer.objects.filter(audit=audit).values_list("question__order", "answer")
    ) == {1: "no", 2: "yes", 3: "not_applicable", 4: "yes"}
    assert Event.objects.filter(action="audit.voice_saved").count() == 2

    check = client.get(f"/audits/{audit.public_id}/check/").content.decode()
    assert "The child’s voice and the family’s view" in check
    assert "Mother said the help with routines made a difference." in check
    assert '<strong class="govuk-tag govuk-tag--orange">No</strong>' in check
    response = client.post(
        f"/audits/{audit.public_id}/check/",
        {"version": audit.version, "token": "6f1d1a0e-8f1b-4a53-9f5a-2b8d64a0b7c1"},
    )
    assert response.status_code == 302 and fresh(audit).status == "submitted"
    detail = signed_in(world.head).get(audit.get_absolute_url()).content.decode()
    assert "Was the family asked about the help they received?" in detail
    assert "Mother said the help with routines made a difference." in detail


def test_not_applicable_is_refused_where_the_question_does_not_allow_it(world: World) -> None:
    _suggest()
    audit = started(world)
    client = signed_in(world.cal)
    response = client.post(
        f"/audits/{audit.public_id}/voice/",
        _voice_post(audit, {1: (Answer.NOT_APPLICABLE, "")}),
    )
    assert response.status_code == 400
    assert "Choose one of the answers." in response.content.decode()
    assert not VoiceAnswer.objects.filter(audit=audit).exists()
    with pytest.raises(ValidationError, match="cannot be answered not applicable"):
        services.audit_save_voice(
            acting_user=world.cal,
            audit=audit,
            version=audit.version,
            answers={1: (Answer.NOT_APPLICABLE, "")},
        )
    with pytest.raises(ValidationError, match="not part of this audit's tool"):
        services.audit_save_voice(
            acting_user=world.cal,
            audit=audit,
            version=audit.version,
            answers={9: (Answer.YES, "")},
        )
    assert not VoiceAnswer.objects.filter(audit=audit).exists()


def test_a_stale_save_of_the_answers_is_refused_and_shows_both(world: World) -> None:
    _suggest()
    audit = started(world)
    client = signed_in(world.cal)
    stale = audit.version
    _answer_all(audit)
    response = client.post(
        f"/audits/{audit.public_id}/voice/",
        _voice_post(audit, {1: (Answer.NO, "Mine")}, version=str(stale)),
    )
    assert response.status_code == 409
    assert "Compare your text with the saved version" in response.content.decode()
    assert VoiceAnswer.objects.get(audit=audit, question__order=1).answer == Answer.YES


# --- Counted in the report -------------------------------------------------------------------


def _report_audits(world: World, answers: list[tuple[str, str]]) -> None:
    """One submitted audit per (child answer, family answer): the child's questions all
    take the first, the family's the second."""
    for child, family in answers:
        audit = started(world)
        audit = services.audit_save_voice(
            acting_user=world.cal,
            audit=audit,
            version=audit.version,
            answers={
                q.order: (
                    child if q.about == QuestionAbout.CHILD else family,
                    "What the file shows.",
                )
                for q in services.voice_questions(audit)
            },
        )
        submit(completed(audit))


def test_the_report_shows_each_share_with_its_n_in_every_channel(world: World) -> None:
    _suggest()
    _report_audits(
        world,
        [(Answer.YES, Answer.YES)] * 5
        + [(Answer.NOT_RECORDED, Answer.YES)] * 2
        + [(Answer.NO, Answer.NO)] * 3,
    )
    today = date.today()
    summary = report_summary(period_from=today, period_to=today, tool=CP_CORE)
    assert summary["audits_completed"] == 10
    assert summary["child_and_family"] == {
        "child_lived_experience": {"evident": 5, "n": 10, "percent": 50.0},
        "family_view": {"evident": 7, "n": 10, "percent": 70.0},
    }
    query = f"from={today:%Y-%m}&to={today:%Y-%m}&tool={CP_CORE}&unsuppressed=1"
    director = signed_in(world.lead)
    json_doc = director.get(f"/reports/summary.json?{query}").json()
    assert json_doc["child_and_family"]["family_view"] == {
        "evident": 7,
        "n": 10,
        "percent": 70.0,
    }
    page = director.get(f"/reports/?{query}").content.decode()
    assert "Audits where the child’s lived experience is evident" in page
    assert "5 of 10 audits (50.0%)" in page and "7 of 10 audits (70.0%)" in page

    book = openpyxl.load_workbook(
        io.BytesIO(director.get(f"/reports/export.xlsx?{query}").content), read_only=True
    )
    rows = [tuple(r) for r in book["Child and family"].iter_rows(values_only=True)]
    assert ("The child’s lived experience is evident", 5, 10, 50) in rows
    assert ("The family’s view is recorded", 7, 10, 70) in rows

    docx = director.get(f"/reports/export.docx?{query}").content
    with zipfile.ZipFile(io.BytesIO(docx)) as document:
        xml = document.read("word/document.xml").decode()
    assert "The child’s voice and the family’s view" in xml
    assert "The family’s view is recorded" in xml

    csv = director.get(f"/reports/export.csv?{query}").content.decode()
    assert "child_lived_experience_evident,,,5,50.0" in csv
    assert "family_view_n,,,10," in csv


def test_small_shares_are_suppressed_for_figures_only_readers(world: World) -> None:
    _suggest()
    # 7 audits: 6 with the family's view, so 1 without it: a count that names a child.
    _report_audits(world, [(Answer.YES, Answer.YES)] * 6 + [(Answer.YES, Answer.NO)])
    today = date.today()
    query = f"from={today:%Y-%m}&to={today:%Y-%m}&tool={CP_CORE}"
    shown = signed_in(world.admin).get(f"/reports/summary.json?{query}").json()
    family = shown["child_and_family"]["family_view"]
    # 6 of 7 would give away the 1 without: something more is hidden.
    assert family["percent"] is None
    assert family["evident"] is None or family["n"] is None
    child = shown["child_and_family"]["child_lived_experience"]
    assert child["evident"] is None or child["n"] is None or child["evident"] == child["n"]
    page = signed_in(world.admin).get(f"/reports/?{query}").content.decode()
    assert "6 of 7 audits" not in page


def test_a_text_kept_beside_an_answer_that_does_not_ask_for_it_reads_as_a_note(
    world: World,
) -> None:
    """Question 1 asks "What is missing" beside a no: written beside a yes, the text must
    not read as what is missing."""
    _suggest()
    audit = completed(started(world))
    services.audit_save_voice(
        acting_user=world.cal,
        audit=audit,
        version=fresh(audit).version,
        answers={1: (Answer.YES, "Seen alone at the last two visits."), 2: (Answer.NO, "")},
    )
    page = signed_in(world.cal).get(f"/audits/{audit.public_id}/check/").content.decode()
    assert "Note:</span> Seen alone at the last two visits." in page
    assert "What is missing:</span> Seen alone" not in page
    services.audit_save_voice(
        acting_user=world.cal,
        audit=audit,
        version=fresh(audit).version,
        answers={1: (Answer.NO, "Not seen alone since March.")},
    )
    page = signed_in(world.cal).get(f"/audits/{audit.public_id}/check/").content.decode()
    assert "What is missing:</span> Not seen alone since March." in page
