"""The Annex A lists as data: each list's number, title and columns, and each column's
key, kind and headers (the published header first, then the variants real files use).

Plain records, no behaviour: header matching (`headers.py`) and cleaning
(`cleaning.py`) read them. The column keys are also the keys of the `list_<n>` attributes
an import stores on a case (`qpa.cases.facts` reads them). Sources: Ofsted's ILACS
Annex A guidance; ../shared/docs/background/data-standards-and-ecosystem.md, section 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["id", "text", "code", "case_status", "date", "yes_no", "int", "age"]


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    kind: ColumnKind
    headers: tuple[str, ...]  # the published header first, then known variants
    required: bool = False


@dataclass(frozen=True)
class ListSpec:
    number: int
    title: str
    columns: tuple[ColumnSpec, ...]

    @property
    def id_key(self) -> str:
        return self.columns[0].key


# List 6's Case Status values, in their published order (a) to e)).
CASE_STATUSES = (
    "Looked after child",
    "Child Protection plan",
    "Child in need plan",
    "Open assessment",
    "Closed episode",
)


def _c(key: str, kind: ColumnKind, *headers: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec(key=key, kind=kind, headers=headers, required=required)


_CHILD_ID = _c(
    "child_id",
    "id",
    "Child Unique ID",
    "Child ID",
    "Unique Child ID",
    "Child Unique Identifier",
    required=True,
)
_COMMON = (
    _CHILD_ID,
    _c("gender", "code", "Gender"),
    _c("ethnicity", "code", "Ethnicity"),
    _c("date_of_birth", "date", "Date of Birth", "DOB"),
    _c("age", "age", "Age of Child (Years)", "Age", "Age of Child", "Age (Years)"),
)
_DISABILITY = _c("has_disability", "yes_no", "Does the Child have a Disability", "Disability")
_TEAM = _c("allocated_team", "text", "Allocated Team", "Team", required=True)
_WORKER = _c(
    "allocated_worker", "text", "Allocated Worker", "Allocated Social Worker", required=True
)

LIST_SPECS: tuple[ListSpec, ...] = (
    ListSpec(
        1,
        "Contacts",
        (
            *_COMMON,
            _c("contact_date", "date", "Date of Contact", required=True),
            _c("contact_source", "code", "Contact Source", required=True),
        ),
    ),
    ListSpec(
        2,
        "Early Help Assessments",
        (
            *_COMMON,
            _c("eh_assessment_start_date", "date", "Assessment start date", required=True),
            _c("eh_assessment_completion_date", "date", "Assessment completion date"),
            _c(
                "eh_assessment_organisation",
                "text",
                "Organisation completing assessment",
                required=True,
            ),
        ),
    ),
    ListSpec(
        3,
        "Referrals",
        (
            *_COMMON,
            _c("referral_date", "date", "Date of Referral", required=True),
            _c("referral_source", "code", "Referral Source"),
            _c("referral_nfa", "yes_no", "Referral NFA?", "Referral NFA"),
            _c("referrals_last_12_months", "int", "Number of Referrals in Last 12 Months"),
            _TEAM,
            _WORKER,
        ),
    ),
    ListSpec(
        4,
        "Assessments",
        (
            *_COMMON,
            _DISABILITY,
            _c("assessment_start_date", "date", "Continuous Assessment Start Date", required=True),
            _c(
                "child_seen_during_assessment",
                "yes_no",
                "Child Seen During Continuous Assessment",
            ),
            _c(
                "assessment_authorisation_date",
                "date",
                "Continuous Assessment Date of Authorisation",
            ),
            _c(
                "assessment_requires_support",
                "yes_no",
                "Was the child assessed as requiring LA children's social care support?",
            ),
            _TEAM,
            _WORKER,
        ),
    ),
    ListSpec(
        5,
        "Section 47 Enquiries and ICPC",
        (
            *_COMMON,
            _DISABILITY,
            _c(
                "s47_start_date",
                "date",
                "Strategy discussion initiating Section 47 Enquiry Start Date",
                required=True,
            ),
            _c(
                "icpc_unnecessary",
                "yes_no",
                "Was an Initial Child Protection Conference deemed unnecessary?",
            ),
            _c("icpc_date", "date", "Date of Initial Child Protection Conference"),
            _c(
                "icpc_resulted_in_cp_plan",
                "yes_no",
                "Did the Initial Child Protection Conference Result in a Child Protection Plan",
            ),
            _c(
                "s47_enquiries_last_12_months",
                "int",
                "Number of Section 47 Enquiries in the last 12 months",
            ),
            _c("icpcs_last_12_months", "int", "Number of ICPCs in the last 12 months"),
            _TEAM,
            _WORKER,
        ),
    ),
    ListSpec(
        6,
        "Children in Need",
        (
            *_COMMON,
            _DISABILITY,
            _c("cin_start_date", "date", "CIN Start Date", required=True),
            _c("primary_need_code", "code", "Primary Need Code"),
            _c("date_last_seen", "date", "Date Child Was Last Seen"),
            _c("cin_closure_date", "date", "CIN Closure Date", required=True),
            _c("closure_reason", "code", "Reason for Closure"),
            _c("case_status", "case_status", "Case Status"),
            _TEAM,
            _WORKER,
        ),
    ),
    ListSpec(
        7,
        "Child Protection",
        (
            *_COMMON,
            _DISABILITY,
            _c("cp_plan_start_date", "date", "Child Protection Plan Start Date", required=True),
            _c("initial_category_of_abuse", "code", "Initial Category of Abuse"),
            _c("latest_category_of_abuse", "code", "Latest Category of Abuse"),
            _c("last_statutory_visit_date", "date", "Date of the Last Statutory Visit"),
            _c("seen_alone", "yes_no", "Was the Child Seen Alone?"),
            _c("latest_review_conference_date", "date", "Date of latest review conference"),
            _c("cp_plan_end_date", "date", "Child Protection Plan End Date", required=True),
            _c(
                "emergency_protection_order",
                "yes_no",
                "Subject to Emergency Protection Order or Protected Under Police Powers in "
                "Last Six Months (Y/N)",
            ),
            _c("previous_cp_plans", "int", "Number of Previous Child Protection Plans"),
            _TEAM,
            _WORKER,
        ),
    ),
    ListSpec(
        8,
        "Children in Care",
        (
            *_COMMON,
            _c(
                "uasc",
                "yes_no",
                "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
            ),
            _DISABILITY,
            _c("looked_after_start_date", "date", "Date Started to be Looked After", required=True),
            _c("category_of_need", "code", "Child's Category of Need"),
            _c(
                "subsequent_period_looked_after",
                "yes_no",
                "Is this a second or subsequent period of being a Looked After Child within "
                "the last 12 months (Y/N)",
            ),
            _c("legal_status_start_date", "date", "Start date of current legal status"),
            _c("legal_status", "code", "Child's Legal Status"),
            _c("latest_statutory_review_date", "date", "Date of Latest Statutory Review"),
            _c("last_social_work_visit_date", "date", "Date of Last Social Work Visit"),
            _c("permanence_plan", "code", "What is the permanence plan for this child?"),
            _c("last_iro_contact_date", "date", "Date of Last IRO Visit / Contact to the Child"),
            _c("last_health_assessment_date", "date", "Date of Last Health Assessment"),
            _c("last_dental_check_date", "date", "Date of Last Dental Check"),
            _c("placements_last_12_months", "int", "Number of Placements in the Last 12 months"),
            _c("looked_after_end_date", "date", "Date Ceased to be Looked After", required=True),
            _c("reason_ceased", "code", "Reason Ceased to be Looked After"),
            _c("placement_start_date", "date", "Start Date of Most Recent Placement"),
            _c("placement_type", "code", "Placement Type"),
            _c("placement_provider", "code", "Placement Provider"),
            _c("placement_postcode", "text", "Placement postcode"),
            _c("placement_urn", "id", "URN of Placement"),
            _c("placement_location", "code", "Placement Location"),
            _c("placement_la", "code", "LA of Placement"),
            _c(
                "missing_episodes_last_12_months",
                "int",
                "Number of Episodes the Child has been 'Missing' from their Placement in the "
                "last 12 months",
            ),
            _c(
                "absent_episodes_last_12_months",
                "int",
                "Number of Episodes the Child has been 'Absent' from their Placement in the "
                "last 12 months",
            ),
            _c(
                "return_interview_offered",
                "yes_no",
                "Was the child offered a Return Interview after their last missing episode (Y/N)?",
            ),
            _c(
                "return_interview_accepted",
                "yes_no",
                "Did the child accept a Return Interview after their last missing episode (Y/N)?",
            ),
            _TEAM,
            _WORKER,
        ),
    ),
    ListSpec(
        9,
        "Leaving Care Services",
        (
            *_COMMON,
            # The 2024 layout adds UASC, the personal advisor, the pathway plan review and
            # the latest contact; the older layout lacks them, so they are optional.
            _c(
                "uasc",
                "yes_no",
                "Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)",
            ),
            _DISABILITY,
            _TEAM,
            _WORKER,
            _c(
                "allocated_personal_advisor",
                "text",
                "Allocated Personal Advisor",
                "Allocated Personal Adviser",
            ),
            _c("eligibility_category", "code", "Eligibility Category", required=True),
            _c("pathway_plan_review_date", "date", "Latest Pathway Plan Review Date"),
            _c("la_in_touch", "code", "LA in Touch", required=True),
            _c("latest_contact_date", "date", "Latest Date of Contact"),
            _c("accommodation_type", "code", "Type of Accommodation"),
            _c("accommodation_suitability", "code", "Suitability of Accommodation"),
            _c("activity_status", "code", "Activity Status", required=True),
        ),
    ),
    ListSpec(
        10,
        "Adoption",
        (
            _CHILD_ID,
            _c("family_identifier", "id", "Family identifier", required=True),
            *_COMMON[1:],
            _DISABILITY,
            _c("entered_care_date", "date", "Date the Child Entered Care", required=True),
            _c(
                "adoption_decision_date",
                "date",
                "Date of Decision that Child Should be Placed for Adoption",
                required=True,
            ),
            _c("placement_order_date", "date", "Date of Placement Order"),
            _c("matching_date", "date", "Date of Matching Child and Prospective Adopters"),
            _c("placed_for_adoption_date", "date", "Date Placed for Adoption"),
            _c("adoption_order_date", "date", "Date of Adoption Order"),
            _c(
                "adoption_reversal_date",
                "date",
                "Date of Decision that Child Should No Longer be Placed for Adoption",
            ),
            _c(
                "adoption_reversal_reason",
                "code",
                "Reason Why Child No Longer Placed for Adoption",
            ),
            _c(
                "ffa_placement_date",
                "date",
                "Date the child was placed for fostering in FFA or concurrent planning placement",
            ),
        ),
    ),
    ListSpec(
        11,
        "Adopters",
        (
            _c("adopter_id", "id", "Individual adopter identifier", required=True),
            _c("family_identifier", "id", "Family identifier", required=True),
            _c("gender", "code", "Gender"),
            _c("ethnicity", "code", "Ethnicity"),
            _c("has_disability", "yes_no", "Disability"),
        ),
    ),
)
LIST_SPEC_BY_NUMBER = {spec.number: spec for spec in LIST_SPECS}
