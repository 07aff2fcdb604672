"""E1 under load, on PostgreSQL: sign-ins racing on several app servers never take more
seats than the cap, and a freed seat goes to exactly one waiting browser."""

from types import SimpleNamespace

import pytest

from gaokao.gate import services
from gaokao.gate.models import Admission, Seat, Ticket
from gaokao.testing.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def browsers(n):
    return [SimpleNamespace(session={}) for _ in range(n)]


def test_e1_admission_twelve_sign_ins_at_once_take_exactly_the_cap(postgresql_only, make):
    Admission.objects.create(pk=1, cap=5)
    candidates = [make() for _ in range(12)]
    requests = browsers(12)
    results = run_together(12, lambda i: services.admit(requests[i], candidates[i]))
    assert sorted(results, key=str) == [False] * 7 + [True] * 5, results
    assert Seat.objects.count() == 5 and services.active_sessions() == 5
    assert Ticket.objects.count() == 7 and services.waiting() == 7
    waiting = [r for r, admitted in zip(requests, results, strict=True) if not admitted]
    assert all(services.TICKET_KEY in r.session for r in waiting)


def test_e1_admission_a_missing_setting_row_is_created_once_under_the_race(postgresql_only, make):
    candidates = [make() for _ in range(6)]
    requests = browsers(6)
    results = run_together(6, lambda i: services.admit(requests[i], candidates[i]))
    assert results == [True] * 6
    assert Seat.objects.count() == 6


def test_e1_admission_one_free_seat_goes_to_one_waiting_browser(postgresql_only, make):
    Admission.objects.create(pk=1, cap=1)
    services.admit(browsers(1)[0], make())
    waiting = browsers(6)
    for request in waiting:
        assert services.admit(request, make()) is False
    Seat.objects.all().delete()  # the one inside signed out
    results = run_together(6, lambda i: services.poll(waiting[i]))
    admitted = [r for r in results if getattr(r, "candidate", None) is not None]
    assert len(admitted) == 1, results
    first_in_line = Ticket.objects.order_by("id").first()
    assert admitted[0].candidate.pk == first_in_line.candidate_id
    assert Seat.objects.count() == 1
    # The others still wait (their places depend on whether they asked before or after).
    assert all(r.position >= 1 and not r.lapsed for r in results if r not in admitted)
    assert services.waiting() == 5
