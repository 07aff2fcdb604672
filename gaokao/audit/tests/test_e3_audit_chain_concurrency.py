"""E3 on PostgreSQL: writers of one chain queue on its head and leave a gapless, valid
chain; writers of different chains (points, days) never wait for each other."""

import threading

import pytest
from django.db import transaction

from gaokao.audit.models import Action, AuditChainHead, AuditEvent
from gaokao.audit.services import record
from gaokao.audit.verify import Verification
from gaokao.testing.concurrency import run_together
from gaokao.testing.factories import staff_for

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS, EACH = 8, 5


def test_e3_audit_chain_concurrent_writers_of_one_chain_leave_it_valid(postgresql_only, point):
    users = [staff_for(point) for _ in range(WRITERS)]

    def work(i):
        events = []
        for n in range(EACH):
            if n % 2:
                events.append(record(Action.LOGIN, actor=users[i], n=n))
            else:  # inside a longer transaction, as the services call it
                with transaction.atomic():
                    events.append(record(Action.PHOTO_ADDED, actor=users[i], n=n))
        return events

    results = run_together(WRITERS, work)  # the chain's head does not exist yet
    assert all(isinstance(r, list) for r in results), results
    events = AuditEvent.objects.order_by("seq")
    assert len({e.chain for e in events}) == 1
    assert [e.seq for e in events] == list(range(1, WRITERS * EACH + 1))
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[: len(events) - 1]]
    assert AuditChainHead.objects.get().seq == WRITERS * EACH
    assert list(Verification().problems()) == []


def test_e3_audit_chain_writers_of_different_points_do_not_wait(
    postgresql_only, point, other_point
):
    """The first writer keeps its transaction (and its chain's lock) open until the second,
    at another point, has committed: were they one chain, the second would wait for the
    first and the first would give up waiting."""
    first_locked, second_done = threading.Event(), threading.Event()
    here, there = staff_for(point), staff_for(other_point)

    def work(i):
        if i == 0:
            with transaction.atomic():
                record(Action.LOGIN, actor=here)
                first_locked.set()
                return second_done.wait(timeout=20)
        assert first_locked.wait(timeout=20)
        record(Action.LOGIN, actor=there)
        second_done.set()
        return True

    assert run_together(2, work) == [True, True]
    assert AuditEvent.objects.count() == 2
    assert AuditChainHead.objects.count() == 2
    assert list(Verification().problems()) == []


def test_e3_audit_chain_verify_while_events_are_appended(postgresql_only, point, monkeypatch):
    """Events appended while `verify` walks the chain are not mistaken for a head that is
    ahead of its events (deleted events): the walk reads one snapshot."""
    from gaokao.audit import verify

    user = staff_for(point)
    for _ in range(3):
        record(Action.LOGIN, actor=user)
    monkeypatch.setattr(verify, "PROGRESS_EVERY", 1)
    appended = []

    def progress(done, total):
        if not appended:  # another app server appends to the same chain, and commits
            appended.append(run_together(1, lambda i: record(Action.LOGIN, actor=user).seq))

    verification = Verification(progress=progress)
    assert list(verification.problems()) == []
    assert appended == [[4]] and verification.events == 3
    assert list(Verification().problems()) == []
