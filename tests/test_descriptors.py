"""Grading descriptors: what each rating looks like in each domain, edited by
administrators with the tool, versioned with it, and read by auditors beside the rating
choices of a domain's page."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from qpa.tools import services
from qpa.tools.models import AuditTool, Domain, RatingDescriptor, ToolVersion
from tests.support.audits import domain_url, started
from tests.support.data_migrations import data_migration
from tests.support.factories import CaseFactory, rating, submitted_audit
from tests.support.people import Personas, signed_in
from tests.support.worlds import World, build_world

DESCRIPTORS = data_migration("tools", "0003_grading_descriptors_and_themed_options").DESCRIPTORS

SCALE = ["Outstanding", "Good", "Adequate", "Inadequate", "Critical"]


def _qop() -> AuditTool:
    return AuditTool.objects.get(slug="quality-of-practice")


def _descriptors(domain: Domain) -> dict[str, str]:
    return {d.rating.label: d.text for d in domain.descriptors.select_related("rating")}


def _domain_form(tool: AuditTool, position: int) -> dict[str, str]:
    """The domain's edit form as an administrator finds it, ready to post back."""
    domain = tool.current_version.domains.get(order=position)
    data = {
        "name": domain.name,
        "prompts": domain.prompts,
        "guidance": domain.guidance,
        **({"allows_not_applicable": "on"} if domain.allows_not_applicable else {}),
    }
    for d in domain.descriptors.select_related("rating"):
        data[f"descriptor_{d.rating.rank}"] = d.text
    return data


@pytest.mark.django_db
def test_the_shipped_tools_have_a_plain_descriptor_for_every_rating_of_every_domain() -> None:
    for slug in ("quality-of-practice", "child-protection-core-assessment"):
        version = AuditTool.objects.get(slug=slug).current_version
        assert version.number == 1
        for domain in version.domains.all():
            texts = _descriptors(domain)
            assert list(texts) == SCALE, domain.name
            assert [texts[label] for label in SCALE] == list(DESCRIPTORS[slug][domain.name])
            for text in texts.values():
                # Plain English for auditors: whole sentences, short, no jargon codes.
                assert text.endswith(".") and 30 <= len(text) <= 300, text
                assert not re.search(r"\b(SMART|CIN|CP|LAC|S47)\b", text), text
    assert RatingDescriptor.objects.count() == 10 * 5 + 3 * 5


def test_an_administrator_edits_descriptors_in_place_while_no_audit_uses_the_tool(
    personas: Personas,
) -> None:
    client = signed_in(personas.admin)
    page = client.get("/tools/quality-of-practice/domains/2/").content.decode()
    assert "Grading descriptors" in page
    for label in SCALE:
        assert f"What {label.lower()} looks like" in page
    assert escape(DESCRIPTORS["quality-of-practice"]["Risk Assessment"][0]) in page

    data = _domain_form(_qop(), 2)
    data["descriptor_2"] = "Risk is analysed and reviewed at every change."
    data["descriptor_5"] = ""
    response = client.post("/tools/quality-of-practice/domains/2/", data, follow=True)

    assert "The tool is now at version 1" in response.content.decode()
    risk = _qop().current_version.domains.get(order=2)
    texts = _descriptors(risk)
    assert texts["Good"] == "Risk is analysed and reviewed at every change."
    assert "Critical" not in texts  # an empty box is no descriptor
    assert _qop().versions.count() == 1


def test_changing_a_descriptor_of_a_tool_audits_use_creates_a_new_version(
    personas: Personas,
) -> None:
    audit = submitted_audit(case=CaseFactory(team=personas.cp_team), overall="Good")
    old = audit.tool_version
    before = {d.name: _descriptors(d) for d in old.domains.all()}

    data = _domain_form(_qop(), 4)
    data["descriptor_1"] = "The child was seen alone and the plan follows from the analysis."
    response = signed_in(personas.admin).post(
        "/tools/quality-of-practice/domains/4/", data, follow=True
    )

    assert "The tool is now at version 2" in response.content.decode()
    new = _qop().current_version
    assert new.number == 2 and new.change_note == "Changed Key Assessment Episodes"
    # The audit keeps its version, and that version keeps every word it had.
    audit.refresh_from_db()
    assert audit.tool_version == old
    assert {d.name: _descriptors(d) for d in old.domains.all()} == before
    # The new version carries every other descriptor over, and the one change.
    after = {d.name: _descriptors(d) for d in new.domains.all()}
    changed = after.pop("Key Assessment Episodes")
    expected = before.pop("Key Assessment Episodes")
    assert after == before
    assert changed == {
        **expected,
        "Outstanding": "The child was seen alone and the plan follows from the analysis.",
    }


def test_other_changes_to_a_tool_in_use_carry_the_descriptors_to_the_new_version(
    personas: Personas,
) -> None:
    submitted_audit(case=CaseFactory(team=personas.cp_team))
    new = services.tool_domain_remove(acting_user=personas.admin, tool=_qop(), position=10)
    assert new.number == 2
    for domain in new.domains.all():
        assert _descriptors(domain) == dict(
            zip(SCALE, DESCRIPTORS["quality-of-practice"][domain.name], strict=True)
        )


def test_a_new_domain_gets_its_descriptors_from_the_add_form(personas: Personas) -> None:
    response = signed_in(personas.admin).post(
        "/tools/quality-of-practice/domains/new/",
        {
            "name": "Education",
            "prompts": "",
            "guidance": "",
            "descriptor_2": "The personal education plan is current and followed.",
        },
    )
    assert response.status_code == 302
    education = _qop().current_version.domains.get(name="Education")
    assert _descriptors(education) == {
        "Good": "The personal education plan is current and followed."
    }


def test_a_too_long_descriptor_is_refused_and_nothing_changes(personas: Personas) -> None:
    data = _domain_form(_qop(), 1)
    data["descriptor_3"] = "x" * 1_001
    response = signed_in(personas.admin).post("/tools/quality-of-practice/domains/1/", data)
    assert response.status_code == 200
    assert "Keep this to 1,000 characters or fewer." in response.content.decode()
    referral = _qop().current_version.domains.get(order=1)
    assert (
        _descriptors(referral)["Adequate"]
        == DESCRIPTORS["quality-of-practice"]["Referral and Response"][2]
    )


def test_the_tool_page_shows_each_domains_descriptors(personas: Personas) -> None:
    page = signed_in(personas.admin).get("/tools/quality-of-practice/").content.decode()
    assert page.count("Grading descriptors<span") == 10
    assert escape(DESCRIPTORS["quality-of-practice"]["Reporting and Recording"][4]) in page


@pytest.mark.parametrize("who", ["auditor", "performance", "head_of_cp"])
def test_only_administrators_edit_descriptors(personas: Personas, who: str) -> None:
    data = _domain_form(_qop(), 1)
    data["descriptor_1"] = "Changed by someone else."
    client = signed_in(getattr(personas, who))
    assert client.get("/tools/quality-of-practice/domains/1/").status_code == 403
    assert client.post("/tools/quality-of-practice/domains/1/", data).status_code == 403
    assert (
        "Changed by someone else."
        not in _descriptors(_qop().current_version.domains.get(order=1)).values()
    )


# --- Beside the rating choices -------------------------------------------------------


@pytest.fixture
def world(db: None) -> World:
    return build_world(per_team=1)


def _radio_hints(page: str) -> dict[str, str]:
    """{rating label: the hint its radio points at}."""
    hints = {}
    for item in re.findall(r'<div class="govuk-radios__item">(.*?)</div>\s*</div>', page, re.S):
        described = re.search(r'aria-describedby="([^"]+)"', item)
        label = re.search(r"<label[^>]*>(.*?)</label>", item, re.S)
        hint = re.search(r'<div id="([^"]+)" class="govuk-hint govuk-radios__hint">(.*?)$', item)
        if described and label and hint:
            assert described.group(1) == hint.group(1)
            hints[label.group(1).strip()] = hint.group(2).strip()
    return hints


def test_the_domain_page_shows_each_ratings_descriptor_as_the_hint_of_its_radio(
    world: World,
) -> None:
    audit = started(world, tool_slug="quality-of-practice")
    page = signed_in(world.cal).get(domain_url(audit, 2)).content.decode()
    expected = dict(zip(SCALE, DESCRIPTORS["quality-of-practice"]["Risk Assessment"], strict=True))
    assert _radio_hints(page) == {label: escape(text) for label, text in expected.items()}
    assert "Under each rating: what it looks like in this domain." in page


def test_an_audit_reads_the_descriptors_of_its_own_version(world: World) -> None:
    audit = started(world, tool_slug="quality-of-practice")
    tool = _qop()
    old_text = DESCRIPTORS["quality-of-practice"]["Key Decisions"][1]
    services.tool_domain_update(
        acting_user=world.admin,
        tool=tool,
        position=3,
        spec=services.DomainSpec(
            name="Key Decisions",
            descriptors={2: "Every decision is authorised within a day."},
        ),
    )
    assert tool.current_version.number == 2  # the draft audit uses version 1
    client = signed_in(world.cal)
    page = client.get(domain_url(audit, 3)).content.decode()
    assert _radio_hints(page)["Good"] == escape(old_text)
    assert "Every decision is authorised within a day." not in page


def test_a_domain_without_descriptors_shows_plain_radios(world: World) -> None:
    version: ToolVersion = _qop().current_version
    RatingDescriptor.objects.filter(domain__version=version, domain__order=1).delete()
    audit = started(world, tool_slug="quality-of-practice")
    page = signed_in(world.cal).get(domain_url(audit, 1)).content.decode()
    assert _radio_hints(page) == {}
    assert "govuk-radios__hint" not in page
    assert "Under each rating" not in page
    assert f'value="{rating("Good").pk}"' in page
