"""E4, E5: point staff key in a candidate's paper draft form — the portal's data, checked
by the portal's rules, saved without the candidate's confirmation password, audited under
the staff account and marked keyed_from_paper; never another point's candidate, never a
submitted one, never over someone else's newer save."""

import pytest
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Candidate, Stage
from gaokao.client.models import Outbox
from gaokao.client.tests.conftest import synced_candidate
from gaokao.codes.models import Code, Table
from gaokao.testing.factories import CandidateFactory, staff_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(season, point):
    return CandidateFactory(season=season, point=point)


def form_data(candidate, **values):
    political = Code.objects.of(Table.POLITICAL_STATUS).first().code
    data = {
        "version": candidate.version,
        "political_status": political,
        "candidate_category": "",
        "household_type": "",
        "household_region": "430102",
        "disability_category": "",
        "accommodations": "",
        "graduation_type": "",
        "school": "",
        "student_number": "",
        "proficiency_number": "",
        "foreign_language": "",
        "mobile": "13912345678",
        "phone": "",
        "specialties": "篮球",
        "awards": "",
        "resume-TOTAL_FORMS": "2",
        "resume-INITIAL_FORMS": "0",
        "resume-MIN_NUM_FORMS": "0",
        "resume-MAX_NUM_FORMS": "12",
        "resume-0-start": "2014-09",
        "resume-0-end": "2017-06",
        "resume-0-school_or_employer": "长沙市第一中学",
        "resume-0-role": "学生",
        "family-TOTAL_FORMS": "2",
        "family-INITIAL_FORMS": "0",
        "family-MIN_NUM_FORMS": "0",
        "family-MAX_NUM_FORMS": "12",
        "family-0-name": "张三",
        "family-0-relation": "父亲",
        "family-0-employer": "",
        "family-0-phone": "0731-1234567",
    }
    data.update(values)
    return data


def url(candidate):
    return reverse("client:paper", args=[candidate.pk])


def test_e4_staff_key_in_a_paper_form_without_the_confirmation_password(
    client, point_user, candidate
):
    client.force_login(point_user)
    assert client.get(url(candidate)).status_code == 200

    response = client.post(url(candidate), form_data(candidate))

    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.keyed_from_paper is True
    assert candidate.mobile == "13912345678" and candidate.specialties == "篮球"
    assert candidate.version == 2 and candidate.data_saved_at is not None
    assert list(candidate.resume.values_list("school_or_employer", flat=True)) == ["长沙市第一中学"]
    assert list(candidate.family.values_list("name", "relation")) == [("张三", "父亲")]
    event = AuditEvent.objects.get(action=Action.CANDIDATE_DATA_SAVED)
    assert event.actor == point_user and event.point == candidate.point
    assert event.detail["keyed_from_paper"] is True
    assert event.detail["after"]["mobile"] == "13912345678"


def test_e4_another_point_or_county_is_refused_and_changes_nothing(
    client, other_county_user, other_point, candidate
):
    other_point_user = staff_for(other_point)
    for user, status in ((other_county_user, 403), (other_point_user, 404)):
        client.force_login(user)
        assert client.get(url(candidate)).status_code == status
        assert client.post(url(candidate), form_data(candidate)).status_code == status
    candidate.refresh_from_db()
    assert candidate.keyed_from_paper is False and candidate.version == 1
    assert not AuditEvent.objects.filter(action=Action.CANDIDATE_DATA_SAVED).exists()


def test_e4_the_county_of_the_point_does_not_key_in_paper_forms(client, county_user, candidate):
    client.force_login(county_user)
    assert client.post(url(candidate), form_data(candidate)).status_code == 403
    assert Candidate.objects.get(pk=candidate.pk).version == 1


def test_e4_a_submitted_candidate_is_refused(client, point_user, candidate):
    Candidate.objects.filter(pk=candidate.pk).update(stage=Stage.COUNTY)
    client.force_login(point_user)

    page = client.get(url(candidate))
    assert page.status_code == 200 and b'data-testid="closed"' in page.content
    response = client.post(url(candidate), form_data(candidate))

    assert response.status_code == 403
    candidate.refresh_from_db()
    assert candidate.keyed_from_paper is False and candidate.mobile == ""


def test_e4_the_service_refuses_a_locked_candidate_with_the_submission_message(
    point_user, candidate
):
    from gaokao.candidates.stage import Locked
    from gaokao.client.services import save_paper_data

    Candidate.objects.filter(pk=candidate.pk).update(stage=Stage.CITY)
    with pytest.raises(Locked):
        save_paper_data(candidate, version=1, data={}, resume=[], family=[], by=point_user)


def test_e4_a_save_based_on_an_old_version_keeps_the_input_and_changes_nothing(
    client, point_user, candidate
):
    client.force_login(point_user)
    data = form_data(candidate)
    Candidate.objects.filter(pk=candidate.pk).update(version=5, mobile="13700000000")

    response = client.post(url(candidate), data)

    assert response.status_code == 200
    assert "changed this candidate a moment ago" in response.content.decode()
    assert 'value="13912345678"' in response.content.decode()  # the input is kept
    assert 'name="version" value="5"' in response.content.decode()  # saving again is deliberate
    candidate.refresh_from_db()
    assert candidate.mobile == "13700000000" and candidate.keyed_from_paper is False


@pytest.mark.parametrize(
    "values, field",
    [
        ({"mobile": "12345"}, "mobile"),
        ({"household_region": "43AB02"}, "household_region"),
        ({"awards": "奖" * 501}, "awards"),
        ({"political_status": "ZZ"}, "political_status"),
        ({"resume-0-start": "2014/09"}, "resume"),
        ({"family-0-phone": "call me"}, "family"),
    ],
)
def test_e4_bad_input_is_refused_by_the_portals_rules(client, point_user, candidate, values, field):
    client.force_login(point_user)

    response = client.post(url(candidate), form_data(candidate, **values))

    assert response.status_code == 200
    form, row_errors = response.context["form"], response.context["row_errors"]
    formsets = {part: formset for part, formset, _title in response.context["formsets"]}
    refused = (
        field in form.errors
        or field in row_errors
        or (field in formsets and not formsets[field].is_valid())
    )
    assert refused, (form.errors, row_errors)
    candidate.refresh_from_db()
    assert candidate.version == 1 and candidate.keyed_from_paper is False
    assert not AuditEvent.objects.filter(action=Action.CANDIDATE_DATA_SAVED).exists()


def test_e4_control_characters_are_stripped(client, point_user, candidate):
    client.force_login(point_user)
    hostile = "篮\u202e球\x1b[31m\u200b"

    client.post(url(candidate), form_data(candidate, specialties=hostile))

    candidate.refresh_from_db()
    assert candidate.specialties == "篮球[31m"


def test_e4_a_closed_window_refuses_the_save(client, point_user, candidate, season):
    season.phases.update(ends_at=season.phases.get().starts_at.replace(year=2019, month=10, day=29))
    client.force_login(point_user)

    response = client.post(url(candidate), form_data(candidate))

    assert response.status_code == 403
    assert Candidate.objects.get(pk=candidate.pk).version == 1


def test_e4_on_the_point_client_a_paper_form_is_queued_for_the_server(
    client_mode, client, point_user, season, point
):
    candidate = synced_candidate(season, point)
    client.force_login(point_user)

    client.post(url(candidate), form_data(candidate))

    [entry] = Outbox.objects.filter(kind=Outbox.Kind.CHANGE)
    assert entry.payload["kind"] == "update" and entry.payload["base_version"] == 1
    assert entry.payload["fields"]["keyed_from_paper"] is True
    assert entry.payload["fields"]["mobile"] == "13912345678"
    # The rows travel too, as saved (the save writes them before the candidate's row).
    [resume] = entry.payload["fields"]["resume"]
    assert resume["school_or_employer"] == "长沙市第一中学"
    assert entry.payload["fields"]["family"][0]["name"] == "张三"


# ── the outbox page ───────────────────────────────────────────────────────────────────


def test_r4_the_outbox_page_shows_what_needs_attention_of_the_users_point_only(
    client, point_user, other_point, season, point
):
    own = CandidateFactory(season=season, point=point)
    foreign = CandidateFactory(season=season, point=other_point)
    mine = Outbox.objects.create(
        kind=Outbox.Kind.CHANGE,
        candidate_id=own.pk,
        state=Outbox.State.ATTENTION,
        last_error="号段之外",
        payload={"id": "x", "fields": {"mobile": "13911112222"}},
    )
    theirs = Outbox.objects.create(
        kind=Outbox.Kind.CHANGE,
        candidate_id=foreign.pk,
        state=Outbox.State.ATTENTION,
        last_error="别人的",
    )
    client.force_login(point_user)

    page = client.get(reverse("client:outbox")).content.decode()

    assert "号段之外" in page and "别人的" not in page
    assert "13911112222" in page  # what the point sent, kept in view
    assert client.post(reverse("client:dismiss", args=[theirs.pk])).status_code == 404
    assert Outbox.objects.filter(pk=theirs.pk).exists()
    assert client.post(reverse("client:dismiss", args=[mine.pk])).status_code == 302
    assert not Outbox.objects.filter(pk=mine.pk).exists()


def test_r4_the_outbox_page_names_a_new_candidate_and_a_change_apart(
    client, point_user, season, point
):
    new, known = CandidateFactory(season=season, point=point), synced_candidate(season, point)
    Outbox.objects.create(
        kind=Outbox.Kind.CHANGE, candidate_id=new.pk, payload={"kind": "create", "fields": {}}
    )
    Outbox.objects.create(
        kind=Outbox.Kind.CHANGE, candidate_id=known.pk, payload={"kind": "update", "fields": {}}
    )
    client.force_login(point_user)

    page = client.get(reverse("client:outbox"))

    kinds = {e.candidate_id: e.description for e in page.context["pending"]}
    assert kinds == {new.pk: "New candidate", known.pk: "Change"}
    assert "New candidate" in page.content.decode()


def test_r4_pending_work_cannot_be_dismissed(client, point_user, season, point):
    own = CandidateFactory(season=season, point=point)
    pending = Outbox.objects.create(kind=Outbox.Kind.CHANGE, candidate_id=own.pk)
    client.force_login(point_user)
    client.post(reverse("client:dismiss", args=[pending.pk]))
    assert Outbox.objects.filter(pk=pending.pk).exists()


def test_r4_offices_do_not_see_the_outbox(client, county_user):
    client.force_login(county_user)
    assert client.get(reverse("client:outbox")).status_code == 403
