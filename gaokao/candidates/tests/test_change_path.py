"""Issue 19, items 1 and 6: one change path. Every way a candidate's record is changed in the
portal or the office web (the candidate's own data, a paper form keyed in, the point's
checks) goes through gaokao.candidates.change_path, which holds the window of the field
group (R2.1, with the county's extensions E1-E3, E6), the stage (S9), jurisdiction and the
confirmation password (O5), and refuses with a message that names the rule and the moment.
"""

import datetime as dt

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.change_path import Change, Origin, apply_change, check_change
from gaokao.candidates.errors import CandidateRefused, ConfirmationRefused, DataRefused
from gaokao.candidates.models import Candidate, Stage
from gaokao.incidents.models import Incident, Kind
from gaokao.incidents.services import report_incident
from gaokao.seasons.models import Extension, PhaseKind, day_end
from gaokao.testing.factories import CandidateFactory, aware

pytestmark = pytest.mark.django_db

LOGIN_PASSWORD = "k7Pm3xQw9aZr"
CONFIRM = "confirm-secret-7"
OPEN = aware(2019, 11, 9, 10, 0)  # inside the main window (28 Oct - 15 Nov)
CLOSED = aware(2019, 11, 16, 10, 0)  # the day after it closed
CLOSED_MESSAGE = "Main registration closed on 15 Nov at 23:59"


@pytest.fixture
def now():
    return OPEN


@pytest.fixture
def windows():
    """The main window only, 28 October to 15 November 2019 (not this folder's)."""
    return [(PhaseKind.MAIN, dt.date(2019, 10, 28), dt.date(2019, 11, 15))]


@pytest.fixture
def candidate(season, point):
    return CandidateFactory(
        season=season,
        point=point,
        portal_password=make_password(LOGIN_PASSWORD),
        confirmation_password=make_password(CONFIRM),
    )


def data_fields(candidate, **values):
    data = {
        "version": candidate.version,
        "political_status": "03",
        "candidate_category": "1",
        "household_type": "1",
        "household_region": "430102",
        "disability_category": "0",
        "accommodations": "",
        "graduation_type": "1",
        "school": "",
        "student_number": "",
        "proficiency_number": "",
        "foreign_language": "1",
        "mobile": "13912345678",
        "phone": "",
        "specialties": "篮球",
        "awards": "",
    }
    for prefix, row in (
        ("resume", {"start": "2014-09", "end": "2017-06", "school_or_employer": "长沙市第一中学"}),
        ("family", {"name": "张三", "relation": "父亲", "employer": "", "phone": ""}),
    ):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "1",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "12",
            }
        )
        data.update({f"{prefix}-0-{k}": v for k, v in row.items()})
    data.update(values)
    return data


# ── the paths, as the user takes them ──────────────────────────────────────────────────


def portal(client, candidate, point_user):
    response = client.post(
        reverse("portal:login"),
        {"registration_number": candidate.registration_number, "password": LOGIN_PASSWORD},
    )
    assert response.status_code == 302
    data = data_fields(candidate, confirmation_password=CONFIRM)
    return client.post(reverse("portal:data"), data)


def paper(client, candidate, point_user):
    """With the form's date and the incident, when one is open (the late form, item 4)."""
    client.force_login(point_user)
    data = data_fields(candidate)
    incident = Incident.objects.open().first()
    if incident is not None:
        data.update({"late-form_dated": "2019-11-14", "late-incident": incident.pk})
    return client.post(reverse("client:paper", args=[candidate.pk]), data)


def point_checks(client, candidate, point_user):
    client.force_login(point_user)
    data = {
        "version": candidate.version,
        "documents_received": "on",
        "fee_yuan": "",
        "fee_receipt": "",
        "eligibility": "eligible",
        "note": "",
    }
    return client.post(reverse("candidates:checks", args=[candidate.pk]), data)


def own_data_saved(candidate, origin):
    assert candidate.mobile == "13912345678" and candidate.specialties == "篮球"
    assert list(candidate.family.values_list("name", flat=True)) == ["张三"]
    event = AuditEvent.objects.get(action=Action.CANDIDATE_DATA_SAVED)
    assert event.detail["origin"] == origin
    assert event.detail["after"]["mobile"] == "13912345678"
    assert event.detail["before"]["mobile"] == ""
    return event


def portal_saved(candidate):
    event = own_data_saved(candidate, Origin.PORTAL)
    assert event.actor is None and event.actor_label.endswith(candidate.registration_number)


def paper_saved(candidate):
    event = own_data_saved(candidate, Origin.PAPER)
    assert event.actor.role == "point" and candidate.keyed_from_paper


def checks_saved(candidate):
    assert candidate.documents_received and candidate.eligibility == "eligible"
    event = AuditEvent.objects.get(action=Action.POINT_CHECKS_RECORDED)
    assert event.detail["origin"] == Origin.OFFICE
    assert event.detail["before"]["documents_received"] is False
    assert event.detail["after"]["documents_received"] is True


PATHS = {
    "portal": (portal, portal_saved),
    "paper": (paper, paper_saved),
    "point_checks": (point_checks, checks_saved),
}
SAVED, CLOSED_REFUSAL, LOCKED = "saved", "closed", "locked"
# The point's checks have no window (WINDOWS in change_path): only the stage holds them.
MATRIX = [
    ("portal", "open", SAVED),
    ("portal", "closed", CLOSED_REFUSAL),
    ("portal", "extended", SAVED),
    ("portal", "submitted", LOCKED),
    ("portal", "incident", CLOSED_REFUSAL),
    ("paper", "open", SAVED),
    ("paper", "closed", CLOSED_REFUSAL),
    ("paper", "extended", SAVED),
    ("paper", "submitted", LOCKED),
    ("paper", "incident", SAVED),  # a form dated inside the window (item 4)
    ("point_checks", "open", SAVED),
    ("point_checks", "closed", SAVED),
    ("point_checks", "extended", SAVED),
    ("point_checks", "submitted", LOCKED),
    ("point_checks", "incident", SAVED),
]


@pytest.mark.parametrize(("path", "situation", "outcome"), MATRIX)
def test_r2_every_path_holds_the_window_and_the_stage(
    client, english, clock, season, county, candidate, point_user, path, situation, outcome
):
    if situation in ("closed", "extended", "incident"):
        clock.move_to(CLOSED)
    if situation == "incident":
        report_incident(
            by=point_user, kind=Kind.POWER, started_at=aware(2019, 11, 14, 9, 0), description="停电"
        )
    if situation == "extended":
        Extension.objects.create(
            phase=season.phase(PhaseKind.MAIN),
            region=county,
            ends_at=day_end(dt.date(2019, 11, 20)),
            reason="暴雨致停电",
        )
    if situation == "submitted":
        Candidate.objects.filter(pk=candidate.pk).update(stage=Stage.COUNTY)
    post, saved = PATHS[path]

    response = post(client, candidate, point_user)

    current = Candidate.objects.get(pk=candidate.pk)
    if outcome == SAVED:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert current.version == candidate.version + 1
        saved(current)
        return
    assert current.version == candidate.version
    assert not AuditEvent.objects.filter(
        action__in=[Action.CANDIDATE_DATA_SAVED, Action.POINT_CHECKS_RECORDED]
    ).exists()
    page = response.content.decode()
    # What was typed is shown again (nothing is lost).
    if path == "point_checks":
        form = response.context["checks_form"]
        assert form.data["documents_received"] == "on" and form.data["eligibility"] == "eligible"
    else:
        assert response.status_code == 403
        assert 'value="13912345678"' in page and "张三" in page
    if outcome == CLOSED_REFUSAL:
        assert CLOSED_MESSAGE in page
    else:
        assert "can be changed only there, or after it is returned" in page


# ── check_change ───────────────────────────────────────────────────────────────────────


def own_change(candidate, origin=Origin.PAPER, **kw):
    return Change(values={"mobile": "13700000000"}, origin=origin, version=candidate.version, **kw)


def test_o5_a_wrong_confirmation_password_is_refused(clock, candidate):
    change = own_change(candidate, Origin.PORTAL, confirmation_password="wrong-password-1")
    with pytest.raises(ConfirmationRefused) as refused:
        check_change(candidate, change, by=candidate)
    assert refused.value.code == "wrong_confirmation"
    check_change(
        candidate, own_change(candidate, Origin.PORTAL, confirmation_password=CONFIRM), by=candidate
    )


def test_o5_a_candidate_changes_only_their_own_record(clock, season, point, candidate):
    other = CandidateFactory(season=season, point=point)
    with pytest.raises(CandidateRefused) as refused:
        check_change(
            other, own_change(other, Origin.PORTAL, confirmation_password=CONFIRM), by=candidate
        )
    assert refused.value.code == "not_visible"


def test_s9_another_countys_staff_is_refused_as_not_visible(clock, candidate, other_county_user):
    with pytest.raises(CandidateRefused) as refused:
        check_change(candidate, own_change(candidate), by=other_county_user)
    assert refused.value.code == "not_visible"


def test_s6_identity_fields_are_not_changeable_here(clock, candidate, point_user):
    change = Change(values={"name": "李四"}, origin=Origin.PAPER, version=candidate.version)
    with pytest.raises(CandidateRefused) as refused:
        check_change(candidate, change, by=point_user)
    assert refused.value.code == "not_changeable"


def test_s6_a_stale_version_is_refused(clock, candidate, point_user):
    Candidate.objects.filter(pk=candidate.pk).update(version=5)
    with pytest.raises(CandidateRefused) as refused:
        apply_change(candidate, own_change(candidate), by=point_user)
    assert refused.value.code == "stale"
    assert Candidate.objects.get(pk=candidate.pk).mobile == ""


def test_s6_the_county_does_not_change_own_data_within_the_window(clock, candidate, county_user):
    with pytest.raises(CandidateRefused) as refused:
        check_change(candidate, own_change(candidate), by=county_user)
    assert refused.value.code == "not_allowed"


def test_r2_the_closed_window_names_the_phase_and_the_countys_extended_close(
    english, clock, season, county, candidate, point_user
):
    Extension.objects.create(
        phase=season.phase(PhaseKind.MAIN),
        region=county,
        ends_at=day_end(dt.date(2019, 11, 20)),
        reason="暴雨致停电",
    )
    clock.move_to(aware(2019, 11, 21, 9, 0))
    with pytest.raises(DataRefused) as refused:
        check_change(candidate, own_change(candidate), by=point_user)
    assert refused.value.code == "window_closed"
    assert refused.value.messages == [
        "Main registration closed on 20 Nov at 23:59: the candidate's data can no longer be"
        " changed."
    ]


def test_e3_a_county_user_overrides_the_closed_window_with_a_reason(clock, candidate, county_user):
    clock.move_to(CLOSED)
    with pytest.raises(CandidateRefused) as refused:  # not without a reason
        check_change(candidate, own_change(candidate), by=county_user)
    assert refused.value.code == "not_allowed"

    saved = apply_change(
        candidate, own_change(candidate), by=county_user, window_override="事件 2019-0042"
    )

    assert saved.mobile == "13700000000" and saved.version == candidate.version + 1
    event = AuditEvent.objects.get(action=Action.CANDIDATE_DATA_SAVED)
    assert event.actor == county_user
    assert event.detail["window_override"] == "事件 2019-0042"
    assert event.detail["origin"] == Origin.PAPER


def test_e3_a_point_user_cannot_override_the_window(clock, candidate, point_user):
    clock.move_to(CLOSED)
    with pytest.raises(CandidateRefused) as refused:
        apply_change(candidate, own_change(candidate), by=point_user, window_override="事件 1")
    assert refused.value.code == "no_override"
    assert Candidate.objects.get(pk=candidate.pk).version == candidate.version


def test_r2_check_change_judges_the_window_at_the_moment_given(clock, candidate, point_user):
    clock.move_to(CLOSED)
    check_change(candidate, own_change(candidate), by=point_user, at=OPEN)
    with pytest.raises(DataRefused):
        check_change(candidate, own_change(candidate), by=point_user)
