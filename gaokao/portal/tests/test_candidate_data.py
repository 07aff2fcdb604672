"""The candidate enters their own data in the portal (S6) during the main registration
(R2.1) or the gaokao-youth window (R2.5), each save confirmed with the confirmation
password (O5); no mailing address, postcode or recipient exists anywhere (O4)."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates import own_data
from gaokao.candidates.errors import DataRefused
from gaokao.candidates.models import Candidate
from gaokao.codes.models import Code, Table
from gaokao.portal.forms import CandidateDataForm, FamilyMemberForm, ResumeEntryForm
from gaokao.privacy.masking import mask_id
from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import (
    CandidateFactory,
    SeasonFactory,
    add_phase,
    aware,
    resident_id,
)
from gaokao.testing.steps import save_candidate_data

pytestmark = pytest.mark.django_db

LOGIN_PASSWORD = "k7Pm3xQw9aZr"
CONFIRM = "confirm-secret-7"
DATA = reverse("portal:data")
IN_MAIN = aware(2019, 11, 1, 10, 0)
IN_YOUTH = aware(2020, 1, 14, 10, 0)


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


def make_candidate(season, point, **kwargs):
    kwargs.setdefault("confirmation_password", make_password(CONFIRM))
    return CandidateFactory(
        season=season, point=point, portal_password=make_password(LOGIN_PASSWORD), **kwargs
    )


@pytest.fixture
def candidate(season, point):
    return make_candidate(season, point)


@pytest.fixture
def main_window():
    with time_machine.travel(IN_MAIN, tick=False) as traveller:
        yield traveller


def sign_in(client, candidate):
    response = client.post(
        reverse("portal:login"),
        {"registration_number": candidate.registration_number, "password": LOGIN_PASSWORD},
    )
    assert response.url == reverse("portal:status")


def formset(prefix, rows, extra=1):
    data = {
        f"{prefix}-TOTAL_FORMS": len(rows) + extra,
        f"{prefix}-INITIAL_FORMS": 0,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 12,
    }
    for n, row in enumerate(rows):
        data.update({f"{prefix}-{n}-{k}": v for k, v in row.items()})
    return data


def payload(candidate, password=CONFIRM, resume=None, family=None, **overrides):
    data = {
        "version": candidate.version,
        "political_status": "03",
        "candidate_category": "1",
        "household_type": "1",
        "household_region": "430102",
        "disability_category": "0",
        "accommodations": "",
        "graduation_type": "1",
        "school": "4301020001",
        "student_number": "G" + candidate.id_number,
        "proficiency_number": "2020430100123",
        "foreign_language": "1",
        "mobile": "13812345678",
        "phone": "0731-88888888",
        "specialties": "围棋\r\n书法",
        "awards": "",
        "confirmation_password": password,
    }
    data.update(overrides)
    resume = (
        [
            {
                "start": "2014-09",
                "end": "2017-06",
                "school_or_employer": "长沙市一中初中部",
                "role": "学生",
            }
        ]
        if resume is None
        else resume
    )
    family = (
        [{"name": "张建国", "relation": "父亲", "employer": "某公司", "phone": "13900000000"}]
        if family is None
        else family
    )
    data.update(formset("resume", resume))
    data.update(formset("family", family))
    return data


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


# ── saving, confirmed with the confirmation password (S6, O5) ───────────────────────


def test_s6_candidate_saves_their_data_with_the_confirmation_password(
    client, candidate, main_window
):
    sign_in(client, candidate)
    page = client.get(DATA)
    assert page.status_code == 200 and mask_id(candidate.id_number) in page.text
    assert candidate.id_number not in page.text, "in full only where the candidate proofreads"
    response = client.post(DATA, payload(candidate))
    assert response.status_code == 302 and response.url == DATA
    candidate.refresh_from_db()
    assert candidate.version == 2 and candidate.data_saved_at == IN_MAIN
    assert candidate.mobile == "13812345678" and candidate.household_region == "430102"
    assert candidate.specialties == "围棋\n书法"  # line breaks kept, as \n
    assert list(candidate.resume.values_list("start", "end", "school_or_employer")) == [
        ("2014-09", "2017-06", "长沙市一中初中部")
    ]
    assert list(candidate.family.values_list("name", "relation")) == [("张建国", "父亲")]
    event = AuditEvent.objects.get(action=Action.CANDIDATE_DATA_SAVED)
    assert event.point == candidate.point
    assert (
        event.detail["before"]["mobile"] == "" and event.detail["after"]["mobile"] == "13812345678"
    )
    assert event.detail["after"]["family"][0]["name"] == "张建国"
    # The saved data is shown again; saving again replaces the rows rather than adding.
    page = client.get(DATA)
    assert "13812345678" in page.text and "长沙市一中初中部" in page.text
    client.post(DATA, payload(candidate, version=2, mobile="13900001111", resume=[]))
    candidate.refresh_from_db()
    assert candidate.version == 3 and candidate.mobile == "13900001111"
    assert not candidate.resume.exists() and candidate.family.count() == 1


def test_o5_wrong_confirmation_password_saves_nothing_and_keeps_the_input(
    client, candidate, main_window
):
    sign_in(client, candidate)
    response = client.post(DATA, payload(candidate, password="wrong-secret", mobile="13811112222"))
    assert response.status_code == 200
    assert response.context["refusal"] == "wrong_confirmation"
    assert 'value="13811112222"' in response.text  # the input is kept
    assert 'value="wrong-secret"' not in response.text  # the password is not echoed
    candidate.refresh_from_db()
    assert candidate.version == 1 and candidate.mobile == "" and not candidate.family.exists()
    assert AuditEvent.objects.filter(action=Action.CONFIRMATION_FAILED).count() == 1


def test_o5_five_wrong_confirmation_passwords_lock_saving(client, candidate, main_window):
    sign_in(client, candidate)
    for _ in range(5):
        response = client.post(DATA, payload(candidate, password="guess-guess"))
    assert response.context["refusal"] == "locked"
    assert "10:15" in response.text  # when the lock ends (15 minutes from 10:00)
    response = client.post(DATA, payload(candidate))  # even the right one, while locked
    assert response.context["refusal"] == "locked"
    candidate.refresh_from_db()
    assert candidate.version == 1
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT).exists()
    # The sign-in itself is not locked by wrong confirmation passwords.
    assert client.get(reverse("portal:status")).status_code == 200
    main_window.shift(dt.timedelta(minutes=16))
    sign_in(client, candidate)
    assert client.post(DATA, payload(candidate)).status_code == 302


def test_s6_a_stale_version_is_refused_and_the_input_kept(client, candidate, main_window):
    sign_in(client, candidate)
    form_version = candidate.version
    Candidate.objects.filter(pk=candidate.pk).update(version=5)  # saved from another tab
    response = client.post(DATA, payload(candidate, version=form_version, school="4301020002"))
    assert response.context["refusal"] == "stale"
    assert '<option value="4301020002" selected>' in response.text
    candidate.refresh_from_db()
    assert candidate.school == "" and candidate.version == 5
    # Saving again deliberately, from the page as shown, works.
    assert response.context["form"].data["version"] == 5
    assert client.post(DATA, payload(candidate, version=5)).status_code == 302


# ── windows (R2.1, R2.5) ─────────────────────────────────────────────────────────────


def test_r2_1_the_last_second_of_the_main_window_saves_and_the_next_is_refused(client, candidate):
    with time_machine.travel(aware(2019, 11, 8, 23, 59, 59), tick=False):
        sign_in(client, candidate)
        assert client.post(DATA, payload(candidate)).status_code == 302
    candidate.refresh_from_db()
    with time_machine.travel(aware(2019, 11, 9, 0, 0, 0), tick=False):
        response = client.post(DATA, payload(candidate, mobile="13700000000"))
        assert response.status_code == 403 and response.context["refusal"] == "window_closed"
        page = client.get(DATA)
        assert page.status_code == 200 and not page.context["open_now"]
        assert 'data-testid="closed"' in page.text and "disabled" in page.text
        assert 'name="confirmation_password"' not in page.text
        with pytest.raises(DataRefused) as refused:  # the server refuses, not just the page
            save(candidate, mobile="13700000000")
        assert refused.value.code == "window_closed"
    candidate.refresh_from_db()
    assert candidate.mobile == "13812345678" and candidate.version == 2


def test_r2_1_before_the_main_window_nothing_is_saved(client, candidate):
    with time_machine.travel(aware(2019, 10, 27, 23, 59, 59), tick=False):
        sign_in(client, candidate)
        assert client.post(DATA, payload(candidate)).status_code == 403
    assert Candidate.objects.get(pk=candidate.pk).version == 1


def test_r2_5_youth_candidates_use_the_youth_window(client, season, point):
    youth = make_candidate(season, point, subject_track="6")
    with time_machine.travel(IN_MAIN, tick=False):
        sign_in(client, youth)
        assert client.post(DATA, payload(youth)).status_code == 403
    with time_machine.travel(IN_YOUTH, tick=False):
        sign_in(client, youth)
        assert client.post(DATA, payload(youth)).status_code == 302
    assert Candidate.objects.get(pk=youth.pk).version == 2


def test_r2_5_main_track_candidates_cannot_save_in_the_youth_window(client, candidate):
    with time_machine.travel(IN_YOUTH, tick=False):
        sign_in(client, candidate)
        assert client.post(DATA, payload(candidate)).status_code == 403


# ── hostile and wrong input ──────────────────────────────────────────────────────────


def test_s6_a_script_tag_is_stored_as_text_and_rendered_escaped(client, candidate, main_window):
    sign_in(client, candidate)
    attack = "<script>alert(1)</script>"
    assert client.post(DATA, payload(candidate, awards=attack)).status_code == 302
    assert Candidate.objects.get(pk=candidate.pk).awards == attack
    page = client.get(DATA).text
    assert attack not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("specialties", "长" * 501),
        ("awards", "奖" * 501),
        ("accommodations", "a" * 201),
    ],
)
def test_s6_overlong_text_is_refused(client, candidate, main_window, field, value):
    sign_in(client, candidate)
    response = client.post(DATA, payload(candidate, **{field: value}))
    assert response.status_code == 200 and response.context["form"].errors[field]
    assert Candidate.objects.get(pk=candidate.pk).version == 1
    with pytest.raises(DataRefused) as refused:  # the service refuses on its own too
        save(candidate, **{field: value})
    assert field in refused.value.message_dict


def test_s6_control_characters_are_stripped_and_line_breaks_kept(client, candidate, main_window):
    sign_in(client, candidate)
    response = client.post(
        DATA,
        payload(
            candidate,
            accommodations="大字\x07试卷\u202e",
            specialties="围棋\x1b[31m\r\n书法\u200b",
            family=[{"name": "张\x08三", "relation": "父亲", "employer": "", "phone": ""}],
        ),
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.accommodations == "大字试卷"
    assert candidate.specialties == "围棋[31m\n书法"
    assert candidate.family.get().name == "张三"


def test_s6_an_invalid_code_posted_to_the_page_is_refused(client, candidate, main_window):
    sign_in(client, candidate)
    response = client.post(DATA, payload(candidate, political_status="99"))
    assert response.status_code == 200 and response.context["form"].errors["political_status"]
    assert Candidate.objects.get(pk=candidate.pk).version == 1


@pytest.mark.parametrize(
    ("category", "household"), [("1", "2"), ("2", "1"), ("3", "2"), ("4", "1")]
)
def test_s6_household_type_must_agree_with_the_candidate_category(
    client, candidate, main_window, category, household
):
    sign_in(client, candidate)
    response = client.post(
        DATA, payload(candidate, candidate_category=category, household_type=household)
    )
    assert response.context["form"].errors["household_type"]
    assert Candidate.objects.get(pk=candidate.pk).version == 1


def test_s6_forged_identity_fields_are_ignored(client, candidate, main_window):
    sign_in(client, candidate)
    before = Candidate.objects.filter(pk=candidate.pk).values().get()
    forged = {
        "name": "冒名顶替",
        "sex": "2" if candidate.sex == "1" else "1",
        "ethnicity": "02",
        "birth_date": "1990-01-01",
        "id_number": resident_id(999),
        "document_type": "9",
        "registration_number": "99999999",
        "subject_track": "6",
        "eligibility": "eligible",
        "fee_fen": "0",
        "confirmation_password": CONFIRM,
    }
    assert client.post(DATA, payload(candidate) | forged).status_code == 302
    after = Candidate.objects.filter(pk=candidate.pk).values().get()
    for name in (
        "name",
        "sex",
        "ethnicity",
        "birth_date",
        "id_number",
        "document_type",
        "registration_number",
        "subject_track",
        "eligibility",
        "fee_fen",
        "confirmation_password",
    ):
        assert after[name] == before[name], name
    assert after["version"] == 2


def test_s6_one_candidate_cannot_change_another_candidates_data(
    client, candidate, season, point, main_window
):
    other = make_candidate(season, point, name="别的考生")
    sign_in(client, candidate)
    ids = {"id": str(other.pk), "candidate": str(other.pk), "pk": str(other.pk)}
    forged = payload(candidate) | ids
    assert client.post(f"{DATA}?candidate={other.pk}", forged).status_code == 302
    other.refresh_from_db()
    assert other.version == 1 and other.mobile == ""
    assert Candidate.objects.get(pk=candidate.pk).version == 2
    page = client.get(DATA).text
    assert candidate.id_number in page and other.id_number not in page and other.name not in page


def test_s6_the_data_page_needs_a_signed_in_candidate_with_a_confirmation_password(
    client, season, point, main_window
):
    assert client.get(DATA).url == reverse("portal:login")
    fresh = make_candidate(season, point, confirmation_password="")
    sign_in(client, fresh)
    assert client.get(DATA).url == reverse("portal:confirmation")


def test_s6_the_status_page_links_to_the_data_page(client, candidate, main_window):
    sign_in(client, candidate)
    page = client.get(reverse("portal:status")).text
    assert f'href="{DATA}"' in page


def test_s6_every_input_has_a_label(client, candidate, main_window):
    import re

    sign_in(client, candidate)
    page = client.get(DATA).text
    ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\sid="([^"]+)"', page)
    assert len(ids) > 20
    for input_id in ids:
        assert f'for="{input_id}"' in page, input_id


# ── data minimisation (O4) ───────────────────────────────────────────────────────────

FORBIDDEN = ("address", "addr", "postcode", "postal", "zip", "recipient", "txdz", "yzbm", "sjr")


def _forbidden(name: str) -> bool:
    return any(word in name.lower() for word in FORBIDDEN)


def test_o4_no_form_field_and_no_input_for_address_postcode_or_recipient(
    client, candidate, main_window
):
    for form in (CandidateDataForm(), ResumeEntryForm(), FamilyMemberForm()):
        assert not [n for n in form.fields if _forbidden(n)]
    assert not [n for n in own_data.DATA_FIELDS if _forbidden(n)]
    sign_in(client, candidate)
    page = client.get(DATA).text
    for word in ("address", "postcode", "recipient", "通讯地址", "邮编", "收件人"):
        assert word not in page.lower()


def test_o4_a_posted_address_is_not_stored(client, candidate, main_window):
    sign_in(client, candidate)
    posted = payload(candidate) | {"address": "长沙市某路1号", "postcode": "410000"}
    assert client.post(DATA, posted).status_code == 302
    row = Candidate.objects.filter(pk=candidate.pk).values().get()
    assert "长沙市某路1号" not in str(row) and "410000" not in str(row)


def test_s7_proofreading_shows_everything_on_record_with_code_names(client, candidate, main_window):
    sign_in(client, candidate)
    client.post(DATA, payload(candidate))
    page = client.get(reverse("portal:proofreading"))
    assert page.status_code == 200
    text = page.text
    for expected in (
        candidate.registration_number,
        candidate.id_number,
        "13812345678",
        "长沙市一中初中部",
        "张建国",
    ):
        assert expected in text
    rows = dict(page.context["rows"])
    candidate.refresh_from_db()
    category = Code.objects.get(table=Table.CANDIDATE_CATEGORY, code=candidate.candidate_category)
    assert category.name in rows.values()  # the name, not the bare code


def test_s7_proofreading_needs_the_candidates_own_sign_in(client, candidate, point_user):
    client.force_login(point_user)
    assert client.get(reverse("portal:proofreading")).url == reverse("portal:login")
