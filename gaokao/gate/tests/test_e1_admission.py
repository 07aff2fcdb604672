"""E1: a cap on concurrently active candidate sessions across all app servers; beyond it,
new sign-ins wait on a page that retries by itself, first come first served."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.sessions import IDLE_SECONDS
from gaokao.gate import services
from gaokao.gate.models import Admission, Seat, Ticket
from gaokao.gate.tests.conftest import sign_in
from gaokao.testing.factories import aware

pytestmark = pytest.mark.django_db

STATUS, WAIT = reverse("portal:status"), reverse("gate-portal:wait")


def cap(n):
    Admission.objects.update_or_create(pk=1, defaults={"cap": n})


def browser(candidate):
    """A fresh browser that signs `candidate` in; returns it and where it was sent."""
    client = Client()
    return client, sign_in(client, candidate).url


def position(client):
    response = client.get(WAIT)
    assert response.status_code == 200, response
    return response.context["wait"].position


@pytest.fixture
def now():
    return aware(2024, 11, 1, 9)


@pytest.fixture
def ticking():
    return False


def test_e1_admission_without_a_cap_everyone_goes_in_and_is_counted(make):
    for _ in range(3):
        assert browser(make())[1] == STATUS
    assert services.active_sessions() == 3 and services.waiting() == 0


def test_e1_admission_beyond_the_cap_candidates_wait_and_see_their_place(make, clock):
    cap(1)
    _first, where = browser(make())
    assert where == STATUS
    second, where = browser(make())
    assert where == WAIT
    page = second.get(WAIT)
    assert page.status_code == 200 and page["Refresh"] == str(services.POLL_SECONDS)
    assert page.context["wait"].position == 1
    assert 'data-testid="position"' in page.content.decode()
    assert second.get(STATUS).url == reverse("portal:login")  # not signed in while waiting
    assert services.active_sessions() == 1 and services.waiting() == 1


def test_e1_admission_sign_out_frees_the_seat_for_the_next_in_line(make, clock):
    cap(1)
    first, _ = browser(make())
    waiting = make()
    second, _ = browser(waiting)
    clock.shift(10)
    assert position(second) == 1
    signed_in = AuditEvent.objects.filter(action=Action.LOGIN, target=str(waiting))
    assert not signed_in.exists()  # the sign-in is audited when the candidate is let in
    first.post(reverse("portal:logout"))
    assert services.active_sessions() == 0
    clock.shift(10)
    assert second.get(WAIT).url == STATUS
    assert signed_in.count() == 1
    assert second.get(STATUS).status_code == 200
    assert services.active_sessions() == 1 and services.waiting() == 0


def test_e1_admission_queue_order_is_first_come_first_served(make, clock):
    cap(1)
    first, _ = browser(make())
    b, c = make(), make()
    second, _ = browser(b)
    clock.shift(1)
    third, _ = browser(c)
    assert (position(second), position(third)) == (1, 2)
    first.post(reverse("portal:logout"))
    # The one behind asks first, but the free seat is the first in line's.
    assert position(third) == 2
    # A newcomer does not jump the queue either.
    fourth, where = browser(make())
    assert where == WAIT and position(fourth) == 3
    assert second.get(WAIT).url == STATUS
    assert position(third) == 1 and position(fourth) == 2
    assert Seat.objects.get().candidate_id == b.pk


def test_e1_admission_a_ticket_whose_page_stopped_polling_drops_out(make, clock):
    cap(1)
    browser(make())
    gone, _ = browser(make())  # closes the waiting page
    stays, _ = browser(make())
    clock.shift(services.TICKET_TIMEOUT_SECONDS - 10)
    assert position(stays) == 2
    clock.shift(20)
    assert position(stays) == 1
    assert services.waiting() == 1
    # Coming back too late: told, and sent to sign in again.
    response = gone.get(WAIT)
    assert response.url == reverse("portal:login")
    assert gone.get(response.url).context["messages"]


def test_e1_admission_signing_in_again_while_waiting_keeps_the_place(make, clock):
    cap(1)
    browser(make())
    waiting_candidate = make()
    client, _ = browser(waiting_candidate)
    browser(make())
    assert sign_in(client, waiting_candidate).url == WAIT
    assert position(client) == 1 and Ticket.objects.count() == 2


def test_e1_admission_an_idle_seat_expires_and_an_active_one_lives_on(make, clock):
    cap(1)
    first, _ = browser(make())
    # Active: a request every 20 minutes keeps session and seat.
    for _ in range(3):
        clock.shift(20 * 60)
        assert first.get(STATUS).status_code == 200
    assert browser(make())[1] == WAIT
    # Idle past the portal's limit: the seat is gone with the session.
    clock.shift(IDLE_SECONDS + services.SEAT_REFRESH_SECONDS + 1)
    assert services.active_sessions() == 0
    assert browser(make())[1] == STATUS


def test_e1_admission_one_seat_per_candidate_even_in_two_browsers(make, clock):
    cap(1)
    candidate = make()
    assert browser(candidate)[1] == STATUS
    assert browser(candidate)[1] == STATUS
    assert services.active_sessions() == 1 and Seat.objects.count() == 1


def test_e1_admission_the_wait_is_estimated_from_recent_admissions(make, clock):
    cap(1)
    first, _ = browser(make())
    second, _ = browser(make())
    third, _ = browser(make())
    assert second.get(WAIT).context["wait"].minutes is None  # nothing to estimate from yet
    first.post(reverse("portal:logout"))
    assert second.get(WAIT).url == STATUS
    clock.shift(5)
    wait = third.get(WAIT).context["wait"]
    assert wait.position == 1 and wait.minutes == 10  # one admission in ten minutes


def test_e1_admission_the_waiting_page_without_a_ticket_goes_to_sign_in(client):
    assert client.get(WAIT).url == reverse("portal:login")


def test_e1_admission_the_waiting_page_of_a_signed_in_candidate_goes_to_status(client, make):
    sign_in(client, make())
    assert client.get(WAIT).url == STATUS


def test_e1_admission_lowering_the_cap_cuts_no_one_off(make, clock):
    first, _ = browser(make())
    second, _ = browser(make())
    cap(1)
    assert first.get(STATUS).status_code == 200 and second.get(STATUS).status_code == 200
    assert browser(make())[1] == WAIT


# ── the province's admission form ──────────────────────────────────────────────────────


def test_e1_admission_the_province_sets_the_cap(client, province_user, make):
    browser(make())
    client.force_login(province_user)
    page = client.get(reverse("gate:index"))
    assert page.context["active"] == 1 and page.context["waiting"] == 0
    response = client.post(reverse("gate:admission"), {"cap": "2000"})
    assert response.url == reverse("gate:index")
    assert services.cap() == 2000
    event = AuditEvent.objects.get(action=Action.ADMISSION_CHANGED)
    assert event.actor == province_user and event.detail == {"old": 0, "new": 2000}
    client.post(reverse("gate:admission"), {"cap": "2000"})  # unchanged: nothing recorded
    assert AuditEvent.objects.filter(action=Action.ADMISSION_CHANGED).count() == 1


@pytest.mark.parametrize("value", ["-1", "many", ""])
def test_e1_admission_a_bad_cap_is_refused(client, province_user, value):
    client.force_login(province_user)
    response = client.post(reverse("gate:admission"), {"cap": value})
    assert response.status_code == 200 and response.context["admission_form"].errors
    assert services.cap() == 0


@pytest.mark.parametrize("user", ["city_user", "county_user", "point_user"])
def test_e1_admission_only_the_province_sees_and_sets_it(client, request, user):
    client.force_login(request.getfixturevalue(user))
    assert client.get(reverse("gate:index")).status_code == 403
    assert client.post(reverse("gate:admission"), {"cap": "1"}).status_code == 403
    assert services.cap() == 0


def test_e1_admission_the_page_needs_a_sign_in(client):
    response = client.get(reverse("gate:index"))
    assert response.status_code == 302 and response.url.startswith(reverse("office:login"))


def test_e1_admission_counts_for_metrics_ignore_the_expired(make, clock):
    cap(1)
    browser(make())
    browser(make())
    assert (services.active_sessions(), services.waiting()) == (1, 1)
    clock.shift(dt.timedelta(hours=1))
    assert (services.active_sessions(), services.waiting()) == (0, 0)
