"""The intake pages (S3, S4, S5, O1–O3): what each role may do, and that another region's
staff are refused every candidate of this one."""

import datetime as dt
import json
from io import BytesIO

import pytest
from django.urls import reverse
from pypdf import PdfReader

from gaokao.candidates import services
from gaokao.candidates.models import Candidate, EligibilityPath, ReviewState
from gaokao.candidates.tests.conftest import TODAY
from gaokao.codes.models import RegistrationFee
from gaokao.idcard.simulator import default_deck
from gaokao.testing.factories import staff_for

pytestmark = pytest.mark.django_db

DECK = [c.identity for c in default_deck(TODAY)]


def read(client, card, track="5"):
    body = json.dumps({"subject_track": track, "card": card.to_json()})
    return client.post(reverse("candidates:intake_card"), body, content_type="application/json")


@pytest.fixture
def taken(season, point, ranges, point_user):
    return services.take_in_from_card(season, point, "5", DECK[0], by=point_user)


def test_s3_point_reads_cards_one_after_another(client, season, ranges, point_user):
    client.force_login(point_user)
    assert client.get(reverse("candidates:intake")).status_code == 200
    answers = [read(client, card).json() for card in DECK[:3]]
    assert [a["ok"] for a in answers] == [True, True, True]
    assert [a["registration_number"][-4:] for a in answers] == ["0001", "0002", "0003"]
    assert Candidate.objects.filter(point=point_user.point).count() == 3


def test_s3_reading_the_same_card_twice_is_refused_clearly(client, season, ranges, point_user):
    client.force_login(point_user)
    read(client, DECK[0])
    answer = read(client, DECK[0]).json()
    assert answer["ok"] is False
    assert point_user.point.name in answer["error"]  # says where the person is registered
    assert Candidate.objects.count() == 1


def test_s3_tampered_card_data_is_refused(client, season, ranges, point_user):
    client.force_login(point_user)
    data = DECK[0].to_json() | {"id_number": "430102200203150010"}
    body = json.dumps({"subject_track": "5", "card": data})
    answer = client.post(
        reverse("candidates:intake_card"), body, content_type="application/json"
    ).json()
    assert answer["ok"] is False
    not_json = client.post(reverse("candidates:intake_card"), "{", content_type="application/json")
    assert not_json.status_code == 400
    assert not Candidate.objects.exists()


def test_s3_only_point_staff_take_candidates_in(client, season, ranges, county_user):
    client.force_login(county_user)
    assert client.get(reverse("candidates:intake")).status_code == 403
    assert read(client, DECK[0]).status_code == 403
    assert client.get(reverse("candidates:manual")).status_code == 403


def test_o1_manual_intake_waits_for_review(client, season, ranges, point_user):
    client.force_login(point_user)
    data = {
        "subject_track": "5",
        "path": EligibilityPath.MIGRANT,
        "document_type": "1",
        "id_number": "11010519491231002X",
        "name": "外来务工子女",
        "sex": "2",
        "ethnicity": "01",
        "birth_date": "1949-12-31",
    }
    response = client.post(reverse("candidates:manual"), data)
    candidate = Candidate.objects.get()
    assert response.url == reverse("candidates:detail", args=[candidate.pk])
    assert candidate.review_state == ReviewState.PENDING
    page = client.get(response.url).text
    assert reverse("candidates:review_form", args=[candidate.pk]) in page
    pdf = client.get(reverse("candidates:review_form", args=[candidate.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_o1_county_reviews_from_its_list(
    client, season, ranges, point, county_user, other_county_user
):
    identity = services.ManualIdentity(
        "1", "11010519491231002X", "外来", "2", "01", dt.date(1949, 12, 31)
    )
    candidate = services.take_in_manually(
        season, point, "5", EligibilityPath.MIGRANT, identity, by=None
    )
    client.force_login(other_county_user)
    assert candidate not in client.get(reverse("candidates:reviews")).context["candidates"]
    assert (
        client.post(
            reverse("candidates:review", args=[candidate.pk]), {"decision": "approve"}
        ).status_code
        == 404
    )
    client.force_login(county_user)
    assert list(client.get(reverse("candidates:reviews")).context["candidates"]) == [candidate]
    client.post(
        reverse("candidates:review", args=[candidate.pk]), {"decision": "approve", "reason": ""}
    )
    candidate.refresh_from_db()
    assert candidate.review_state == ReviewState.APPROVED


def test_s5_point_records_checks_and_a_stale_form_keeps_the_input(client, taken, point_user):
    # The fee is the province's for the track (issue 19): the point records it as paid.
    RegistrationFee.objects.create(season=taken.season, subject_track="5", fee_fen=12000)
    client.force_login(point_user)
    url = reverse("candidates:checks", args=[taken.pk])
    form = {
        "version": taken.version,
        "documents_received": "on",
        "fee_yuan": "paid",
        "fee_receipt": "R-1",
        "eligibility": "eligible",
    }
    assert client.post(url, form).status_code == 302
    taken.refresh_from_db()
    assert taken.fee_fen == 12000 and taken.point_checks_done
    stale = client.post(url, form | {"fee_receipt": "R-2"})
    assert stale.status_code == 200
    assert 'value="R-2"' in stale.text  # the typed input is kept
    taken.refresh_from_db()
    assert taken.fee_receipt == "R-1"


def test_s4_login_cards_and_sheet_are_printed_once_per_issue(client, taken, point_user):
    services.record_point_checks(
        taken,
        version=taken.version,
        documents_received=True,
        fee_fen=12000,
        fee_receipt="R-1",
        eligibility="eligible",
        note="",
        by=point_user,
    )
    client.force_login(point_user)
    assert [c.pk for c in client.get(reverse("candidates:login_cards")).context["candidates"]] == [
        taken.pk
    ]
    response = client.post(reverse("candidates:login_cards"), {"candidate": [taken.pk]})
    assert response.url == reverse("candidates:issued")
    [(candidate, password)] = client.get(reverse("candidates:issued")).context["issued"]
    assert candidate == taken
    for name in ("candidates:issued_cards", "candidates:issued_sheet"):
        pdf = client.get(reverse(name))
        assert pdf["Content-Type"] == "application/pdf" and "no-store" in pdf["Cache-Control"]
        text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
        assert password in text and taken.registration_number in text
    client.post(reverse("candidates:issued_done"))
    assert client.get(reverse("candidates:issued_cards")).status_code == 302  # gone


def test_s3_another_countys_staff_cannot_reach_this_countys_candidates(
    client, taken, other_county_user, other_point
):
    other_point_user = staff_for(other_point)
    # A page of the user's role answers 404, as for a missing candidate; a page of another
    # role answers 403 before any candidate is looked up.
    expected = {
        other_county_user: {
            ("get", "candidates:detail"): 404,
            ("get", "candidates:review_form"): 404,
            ("post", "candidates:checks"): 403,  # points only
            ("post", "candidates:review"): 404,
            ("post", "candidates:verify_card"): 403,  # points only
        },
        other_point_user: {
            ("get", "candidates:detail"): 404,
            ("get", "candidates:review_form"): 404,
            ("post", "candidates:checks"): 404,
            ("post", "candidates:review"): 403,  # county and city only
            ("post", "candidates:verify_card"): 404,
        },
    }
    for user, pages in expected.items():
        client.force_login(user)
        assert taken not in client.get(reverse("candidates:list")).context["page"]
        for (method, name), status in pages.items():
            response = getattr(client, method)(reverse(name, args=[taken.pk]))
            assert response.status_code == status, (user.role, name)
    client.force_login(other_point_user)
    assert (
        client.post(reverse("candidates:login_cards"), {"candidate": [taken.pk]}).status_code == 200
    )
    taken.refresh_from_db()
    assert taken.credentials_issued_count == 0


def test_o3_point_verifies_a_new_card_through_the_page(client, season, point, ranges, point_user):
    card = DECK[1]
    identity = services.ManualIdentity(
        "1", card.id_number, card.name, card.sex, card.ethnicity, card.birth_date
    )
    candidate = services.take_in_manually(
        season, point, "5", EligibilityPath.NO_CARD, identity, by=None
    )
    client.force_login(point_user)
    url = reverse("candidates:verify_card", args=[candidate.pk])
    wrong = client.post(
        url, json.dumps({"card": DECK[0].to_json()}), content_type="application/json"
    ).json()
    assert wrong["ok"] is False
    right = client.post(
        url, json.dumps({"card": card.to_json()}), content_type="application/json"
    ).json()
    assert right["ok"] is True
    candidate.refresh_from_db()
    assert candidate.identity_verified_at is not None


def reset_confirmation(client, candidate, card):
    url = reverse("candidates:reset_confirmation", args=[candidate.pk])
    return client.post(url, json.dumps({"card": card.to_json()}), content_type="application/json")


def test_o5_point_resets_a_forgotten_confirmation_password_after_reading_the_card(
    client, taken, point_user
):
    from django.contrib.auth.hashers import make_password

    from gaokao.audit.models import Action, AuditEvent

    Candidate.objects.filter(pk=taken.pk).update(confirmation_password=make_password("x-secret-9"))
    client.force_login(point_user)
    page = client.get(reverse("candidates:detail", args=[taken.pk])).text
    assert 'id="reset-confirmation"' in page
    assert reverse("candidates:reset_confirmation", args=[taken.pk]) in page
    wrong = reset_confirmation(client, taken, DECK[1]).json()
    assert wrong["ok"] is False
    taken.refresh_from_db()
    assert taken.confirmation_password
    right = reset_confirmation(client, taken, DECK[0]).json()
    assert right["ok"] is True
    taken.refresh_from_db()
    assert taken.confirmation_password == ""
    event = AuditEvent.objects.get(action=Action.PASSWORD_RESET)
    assert event.actor == point_user and event.point == taken.point
    assert event.target == str(taken) and event.detail == {"which": "confirmation"}


def test_o5_only_the_candidates_own_point_resets_the_confirmation_password(
    client, taken, county_user, other_point
):
    from django.contrib.auth.hashers import make_password

    Candidate.objects.filter(pk=taken.pk).update(confirmation_password=make_password("x-secret-9"))
    client.force_login(staff_for(other_point))
    assert reset_confirmation(client, taken, DECK[0]).status_code == 404
    client.force_login(county_user)
    assert reset_confirmation(client, taken, DECK[0]).status_code == 403  # points only
    assert (
        'id="reset-confirmation"'
        not in client.get(reverse("candidates:detail", args=[taken.pk])).text
    )
    taken.refresh_from_db()
    assert taken.confirmation_password
