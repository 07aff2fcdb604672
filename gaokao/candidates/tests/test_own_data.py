"""The candidate's own data checked and written by the service, whoever calls it (S6, O4,
O5): the portal's page tests are in gaokao/portal/tests/test_candidate_data.py."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.hashers import make_password

from gaokao.candidates import own_data
from gaokao.candidates.errors import DataRefused
from gaokao.candidates.models import Candidate, FamilyMember, ResumeEntry
from gaokao.candidates.own_data_forms import CandidateDataForm
from gaokao.codes.models import Code, Table
from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import CandidateFactory, SeasonFactory, add_phase, aware, resident_id
from gaokao.testing.steps import save_candidate_data

pytestmark = pytest.mark.django_db

CONFIRM = "confirm-secret-7"
IN_MAIN = aware(2019, 11, 1, 10, 0)


@pytest.fixture
def season(point, codes):
    season = SeasonFactory(province=point.county.parent.parent, is_current=True)
    add_phase(season, PhaseKind.MAIN, opens=dt.date(2019, 10, 28), closes=dt.date(2019, 11, 8))
    add_phase(season, PhaseKind.YOUTH, opens=dt.date(2020, 1, 13), closes=dt.date(2020, 1, 16))
    for code, name in (("4301020001", "长沙市第一中学"), ("4301020002", "湖南师大附中")):
        Code.objects.create(
            table=Table.SCHOOL, code=code, name=name, attrs={"county": point.county.code}
        )
    return season


@pytest.fixture
def candidate(season, point):
    return CandidateFactory(
        season=season, point=point, confirmation_password=make_password(CONFIRM)
    )


@pytest.fixture
def main_window():
    with time_machine.travel(IN_MAIN, tick=False) as traveller:
        yield traveller


def save(candidate, password=CONFIRM, **data):
    fields = {name: "" for name in own_data.DATA_FIELDS}
    fields.update(data)
    return save_candidate_data(
        candidate,
        version=candidate.version,
        data=fields,
        resume=[],
        family=[],
        confirmation_password=password,
        by_request=None,
    )


def test_s6_overlong_rows_are_refused(candidate, main_window):
    with pytest.raises(DataRefused) as refused:
        save_candidate_data(
            candidate,
            version=1,
            data={name: "" for name in own_data.DATA_FIELDS},
            resume=[{"start": "2014-09", "school_or_employer": "校" * 61}],
            family=[{"name": "名" * 21, "relation": "父亲"}],
            confirmation_password=CONFIRM,
        )
    assert set(refused.value.message_dict) == {"resume", "family"}
    assert not candidate.resume.exists() and not candidate.family.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("political_status", "99"),
        ("school", "长沙市第一中学"),  # a name typed in, not a school of the list
        ("school", "4399990001"),
        ("foreign_language", "7"),
        ("disability_category", "x"),
        ("household_region", "43010"),
        ("household_region", "４３０１０２x"),
        ("mobile", "12812345678"),
        ("mobile", "1381234567"),
        ("phone", "0731 8888"),
        ("proficiency_number", "12a"),
        ("student_number", "G430102200203150010"),  # a wrong check digit
        ("student_number", "L12345"),
        ("student_number", "X" + "1" * 18),
    ],
)
def test_s6_invalid_codes_and_formats_are_refused(candidate, main_window, field, value):
    with pytest.raises(DataRefused) as refused:
        save(candidate, **{field: value})
    assert field in refused.value.message_dict
    assert Candidate.objects.get(pk=candidate.pk).version == 1


def test_s6_valid_formats_are_accepted(candidate, main_window):
    saved = save(
        candidate,
        household_region="４３０１０２",  # full-width digits from a Chinese IME
        student_number="l" + "a1" * 9,
        mobile="19912345678",
    )
    assert saved.household_region == "430102" and saved.student_number == "L" + "A1" * 9
    assert save(saved, student_number="g" + resident_id(7)).student_number == "G" + resident_id(7)


def test_s6_the_school_comes_from_the_list_own_county_first_and_retired_schools_are_refused(
    candidate, other_county, main_window
):
    Code.objects.create(
        table=Table.SCHOOL,
        code="4302020001",
        name="株洲市某中学",
        attrs={"county": other_county.code},
    )
    form = CandidateDataForm(county=other_county)
    groups = form.fields["school"].choices[1:]
    assert [code for code, _name in groups[0][1]] == ["4302020001"]
    assert ("4301020001", "长沙市第一中学") in groups[1][1]
    saved = save(candidate, school="4302020001")  # another county's school is fine
    assert saved.school == "4302020001"
    Code.objects.filter(table=Table.SCHOOL, code="4301020002").update(is_active=False)
    with pytest.raises(DataRefused) as refused:
        save(saved, school="4301020002")
    assert "school" in refused.value.message_dict


def test_s6_resume_months_are_checked(candidate, main_window):
    for row in (
        {"start": "2014-13", "school_or_employer": "某中学"},
        {"start": "2017-09", "end": "2014-06", "school_or_employer": "某中学"},
        {"start": "", "school_or_employer": "某中学"},
    ):
        with pytest.raises(DataRefused):
            save_candidate_data(
                candidate,
                version=1,
                data={},
                resume=[row],
                family=[],
                confirmation_password=CONFIRM,
            )


FORBIDDEN = ("address", "addr", "postcode", "postal", "zip", "recipient", "txdz", "yzbm", "sjr")


def _forbidden(name: str) -> bool:
    return any(word in name.lower() for word in FORBIDDEN)


def test_o4_no_model_field_for_address_postcode_or_recipient():
    assert not [n for n in own_data.DATA_FIELDS if _forbidden(n)]
    for model in (Candidate, ResumeEntry, FamilyMember):
        names = [f.name for f in model._meta.get_fields()]
        assert not [n for n in names if _forbidden(n)], model
