"""S8 under load, on PostgreSQL: simultaneous saves of one comment, and one upload confirmed
twice at once (a double click on two app servers)."""

from collections import Counter

import pytest

from gaokao.audit.models import Action, AuditEvent
from gaokao.comments import services
from gaokao.comments.models import Comment
from gaokao.comments.tests.conftest import csv_bytes
from gaokao.testing.concurrency import run_together
from gaokao.testing.factories import staff_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_s8_ten_saves_from_the_same_version_one_wins(postgresql_only, candidate, point):
    users = [staff_for(point) for _ in range(10)]
    results = run_together(
        10,
        lambda i: services.save_comment(candidate, text=f"评语{i}", version=0, by=users[i]),
    )
    kinds = Counter(r if isinstance(r, bool) else getattr(r, "code", repr(r)) for r in results)
    assert kinds == {True: 1, "stale": 9}, results
    comment = Comment.objects.get()
    assert comment.version == 1
    assert AuditEvent.objects.filter(action=Action.COMMENT_SAVED).count() == 1


def test_s8_one_upload_confirmed_twice_at_once_is_imported_once(
    postgresql_only, make, point, point_user
):
    candidates = [make(point) for _ in range(5)]
    data = csv_bytes([(c.registration_number, f"评语{i}") for i, c in enumerate(candidates)])
    upload, _report = services.dry_run(data, "评语.csv", by=point_user)
    results = run_together(4, lambda i: services.apply_import(upload, by=point_user))
    applied = [r for r in results if isinstance(r, services.ImportOutcome)]
    assert len(applied) == 1 and applied[0].written == 5, results
    assert all(getattr(r, "code", None) == "applied" for r in results if r not in applied)
    assert Comment.objects.count() == 5
    assert set(Comment.objects.values_list("version", flat=True)) == {1}
    assert AuditEvent.objects.filter(action=Action.COMMENTS_IMPORTED).count() == 1
