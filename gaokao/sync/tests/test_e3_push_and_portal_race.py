"""Issue 19, on PostgreSQL: a point client's push and the candidate's own save in the portal
reach the same record at the same moment, both based on its version 1. Whichever locks the
row first is applied; the other is not lost: the push becomes a conflict holding the
point's values, or the portal's save is refused as stale (its input is shown again)."""

import pytest
from django.contrib.auth.hashers import make_password

from gaokao.candidates.change_path import Change, Origin, apply_change
from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.models import Candidate
from gaokao.sync import push
from gaokao.sync.models import Conflict, Receipt
from gaokao.testing.concurrency import run_together
from gaokao.testing.sync import update_change

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Qr7-confirm-19"
POINT_MOBILE, PORTAL_MOBILE = "13800138000", "13900139000"


@pytest.mark.parametrize("attempt", range(3))
def test_e3_a_push_and_a_portal_save_at_once_one_applied_nothing_lost(
    postgresql_only, device, make, point, attempt
):
    candidate = make(point, mobile="13700137000")
    Candidate.objects.filter(pk=candidate.pk).update(confirmation_password=make_password(PASSWORD))
    candidate.refresh_from_db()
    change = update_change(candidate, mobile=POINT_MOBILE)

    def work(i):
        if i == 0:
            [result] = push.apply_changes(device, [change])
            return result
        portal = Change(
            values={"mobile": PORTAL_MOBILE},
            origin=Origin.PORTAL,
            version=1,
            confirmation_password=PASSWORD,
        )
        return apply_change(candidate, portal, by=candidate)

    pushed, saved = run_together(2, work)
    assert isinstance(pushed, dict), pushed
    candidate.refresh_from_db()
    assert candidate.version == 2  # exactly one change applied
    if pushed["status"] == "applied":
        assert isinstance(saved, CandidateRefused) and saved.code == "stale", saved
        assert candidate.mobile == POINT_MOBILE
    else:
        assert pushed["status"] == "conflict", pushed
        assert isinstance(saved, Candidate), saved
        assert candidate.mobile == PORTAL_MOBILE
        conflict = Conflict.objects.get(pk=pushed["conflict"])
        assert conflict.reason == Conflict.Reason.STALE
        assert conflict.point_values == {"mobile": POINT_MOBILE}  # the point's values kept
    assert Receipt.objects.get(pk=change["id"]).status == pushed["status"]
