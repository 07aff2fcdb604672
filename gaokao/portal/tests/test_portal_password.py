"""S6: the candidate changes the login password; the status page shows the history of
changes to the candidate's record."""

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.testing.factories import CandidateFactory, SeasonFactory

pytestmark = pytest.mark.django_db

LOGIN_PASSWORD = "k7Pm3xQw9aZr"
CONFIRM = "confirm-secret-9"
NEW = "new-login-pass-7"


@pytest.fixture
def candidate(point):
    season = SeasonFactory(province=point.county.parent.parent, is_current=True)
    return CandidateFactory(
        season=season,
        point=point,
        portal_password=make_password(LOGIN_PASSWORD),
        confirmation_password=make_password(CONFIRM),
    )


@pytest.fixture
def signed_in(client, candidate):
    response = client.post(
        reverse("portal:login"),
        {"registration_number": candidate.registration_number, "password": LOGIN_PASSWORD},
    )
    assert response.url == reverse("portal:status")
    return client


def change(client, current=LOGIN_PASSWORD, new=NEW, again=None):
    return client.post(
        reverse("portal:password"),
        {"current": current, "password": new, "password2": again or new},
    )


def test_s6_candidate_changes_the_login_password(signed_in, candidate):
    assert reverse("portal:password") in signed_in.get(reverse("portal:status")).text
    response = change(signed_in)
    assert response.url == reverse("portal:status")
    candidate.refresh_from_db()
    assert check_password(NEW, candidate.portal_password)
    event = AuditEvent.objects.get(action=Action.PASSWORD_CHANGED)
    assert event.actor is None and event.actor_label == f"考生 {candidate.registration_number}"
    assert event.detail == {"which": "login"} and event.target == str(candidate)
    assert event.point == candidate.point
    signed_in.post(reverse("portal:logout"))
    old = signed_in.post(
        reverse("portal:login"),
        {"registration_number": candidate.registration_number, "password": LOGIN_PASSWORD},
    )
    assert old.status_code == 200  # the old password no longer works
    new = signed_in.post(
        reverse("portal:login"),
        {"registration_number": candidate.registration_number, "password": NEW},
    )
    assert new.url == reverse("portal:status")


@pytest.mark.parametrize(
    "current,new,again,field",
    [
        ("wrong-password", NEW, None, "current"),
        (LOGIN_PASSWORD, "short1", None, "password"),
        (LOGIN_PASSWORD, "1234567890", None, "password"),
        (LOGIN_PASSWORD, CONFIRM, None, "password"),
        (LOGIN_PASSWORD, NEW, "something-else-1", "password2"),
    ],
)
def test_s6_login_password_change_is_refused(signed_in, candidate, current, new, again, field):
    response = change(signed_in, current, new, again)
    assert response.status_code == 200 and field in response.context["form"].errors
    candidate.refresh_from_db()
    assert check_password(LOGIN_PASSWORD, candidate.portal_password)
    assert not AuditEvent.objects.filter(action=Action.PASSWORD_CHANGED).exists()


def test_s6_password_page_needs_a_signed_in_candidate(client):
    assert client.get(reverse("portal:password")).url == reverse("portal:login")


def test_s6_status_page_shows_the_history_of_changes_by_unit_not_by_person(
    signed_in, candidate, point_user, county_user
):
    from gaokao.audit.services import record

    record(Action.POINT_CHECKS_RECORDED, actor=point_user, unit=candidate.point, target=candidate)
    record(Action.CANDIDATE_REVIEWED, actor=county_user, unit=candidate.point, target=candidate)
    record(Action.LOGIN_FAILED, label="考生 x", unit=candidate.point, target=candidate)
    change(signed_in)  # by the candidate
    other = CandidateFactory(season=candidate.season, point=candidate.point)
    record(Action.PHOTO_ADDED, actor=point_user, unit=candidate.point, target=other)
    response = signed_in.get(reverse("portal:status"))
    rows = response.context["history"]
    assert [r["what"] for r in rows] == [
        Action.PASSWORD_CHANGED.label,
        Action.CANDIDATE_REVIEWED.label,
        Action.POINT_CHECKS_RECORDED.label,
    ]
    assert [r["by"] for r in rows] == [None, str(county_user.unit), str(point_user.unit)]
    text = response.text
    assert 'data-testid="history"' in text and str(candidate.point) in text
    for user in (point_user, county_user):
        assert user.username not in text
        for name in (user.first_name, user.last_name, getattr(user, "real_name", "")):
            assert not name or name not in text
