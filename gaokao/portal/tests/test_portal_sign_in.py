"""Candidate portal sign-in with the login card (S6), the confirmation password (O5),
throttling of guesses, and the status page."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Candidate
from gaokao.portal.session import KEY as PORTAL_SESSION_KEY
from gaokao.testing.factories import CandidateFactory, SeasonFactory

pytestmark = pytest.mark.django_db

LOGIN_PASSWORD = "k7Pm3xQw9aZr"


@pytest.fixture
def candidate(point):
    season = SeasonFactory(province=point.county.parent.parent, is_current=True)
    return CandidateFactory(
        season=season, point=point, portal_password=make_password(LOGIN_PASSWORD)
    )


def sign_in(client, number, password=LOGIN_PASSWORD):
    return client.post(
        reverse("portal:login"), {"registration_number": number, "password": password}
    )


def test_s6_candidate_signs_in_with_the_login_card_and_must_set_the_confirmation_password(
    client, candidate
):
    response = sign_in(client, candidate.registration_number)
    assert response.url == reverse("portal:status")
    assert client.get(reverse("portal:status")).url == reverse(
        "portal:confirmation"
    )  # nothing else first
    response = client.post(
        reverse("portal:confirmation"),
        {"password": "another-secret-9", "password2": "another-secret-9"},
    )
    assert response.url == reverse("portal:status")
    page = client.get(reverse("portal:status"))
    assert page.status_code == 200 and candidate.name in page.text
    candidate.refresh_from_db()
    assert candidate.confirmation_password and candidate.portal_last_login
    assert AuditEvent.objects.filter(action=Action.LOGIN, point=candidate.point).exists()


@pytest.mark.parametrize("password", [LOGIN_PASSWORD, "1234567890", "short1"])
def test_o5_confirmation_password_differs_from_login_password_and_is_not_weak(
    client, candidate, password
):
    sign_in(client, candidate.registration_number)
    response = client.post(
        reverse("portal:confirmation"), {"password": password, "password2": password}
    )
    assert response.status_code == 200 and response.context["form"].errors
    candidate.refresh_from_db()
    assert candidate.confirmation_password == ""


def test_s6_wrong_password_or_unknown_number_is_refused_alike(client, candidate):
    wrong = sign_in(client, candidate.registration_number, "wrong-password")
    unknown = sign_in(client, "99999999")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "报名号或密码错误" in response.text
    assert client.get(reverse("portal:status")).url == reverse("portal:login")


# The second password is the plain text behind the hash compared against when there is no
# card: a candidate without a card must not be let in by it either.
@pytest.mark.parametrize("password", [LOGIN_PASSWORD, "no candidate has this password"])
def test_s6_no_sign_in_before_a_login_card_was_issued(client, point, password):
    season = SeasonFactory(province=point.county.parent.parent, is_current=True)
    fresh = CandidateFactory(season=season, point=point)
    assert not fresh.portal_password  # no login card issued yet
    response = sign_in(client, fresh.registration_number, password)
    assert response.status_code == 200
    assert "报名号或密码错误" in response.text
    assert PORTAL_SESSION_KEY not in client.session
    assert client.get(reverse("portal:status")).url == reverse("portal:login")
    fresh.refresh_from_db()
    assert fresh.portal_last_login is None
    assert not AuditEvent.objects.filter(action=Action.LOGIN).exists()
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, point=point).exists()


def test_s6_repeated_guesses_lock_the_number_with_the_time_to_retry(client, candidate):
    for _ in range(5):
        response = sign_in(client, candidate.registration_number, "guess")
    assert "锁定" in response.text
    assert "锁定" in sign_in(client, candidate.registration_number).text  # even the right one
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT, point=candidate.point).exists()
    with time_machine.travel(dt.timedelta(minutes=16)):
        assert sign_in(client, candidate.registration_number).url == reverse("portal:status")


def test_s6_the_session_ends_after_half_an_hour_idle(client, candidate):
    sign_in(client, candidate.registration_number)
    with time_machine.travel(dt.timedelta(minutes=31)):
        assert client.get(reverse("portal:status")).url == reverse("portal:login")


def test_s6_a_candidate_sees_only_their_own_status(client, candidate, point):
    other = CandidateFactory(season=candidate.season, point=point, name="别的考生")
    Candidate.objects.filter(pk=candidate.pk).update(
        confirmation_password=make_password("x-secret-99")
    )
    sign_in(client, candidate.registration_number)
    page = client.get(reverse("portal:status")).text
    assert candidate.name in page and other.name not in page


def test_s6_staff_sign_in_does_not_open_the_portal(client, point_user):
    client.force_login(point_user)
    assert client.get(reverse("portal:status")).url == reverse("portal:login")


def test_s6_sign_out(client, candidate):
    sign_in(client, candidate.registration_number)
    client.post(reverse("portal:logout"))
    assert client.get(reverse("portal:status")).url == reverse("portal:login")


def test_s4_the_login_cards_qr_code_opens_sign_in_with_the_number_filled_in(client, candidate):
    from gaokao.documents.login_cards import QR_PARAMETER

    page = client.get(reverse("portal:login"), {QR_PARAMETER: candidate.registration_number})
    assert f'value="{candidate.registration_number}"' in page.text
