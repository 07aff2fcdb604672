"""S6, O3, R4: the résumé and family rows travel with sync (each list replaces the saved
rows, checked as the portal checks them, in conflict like any field); the ID card read at
the point for a candidate registered without one reaches the server; the offices'
review decisions reach the point client."""

import datetime as dt

import pytest
from django.utils import timezone

from gaokao.candidates.models import FamilyMember, IdentitySource, ResumeEntry, ReviewState
from gaokao.candidates.own_data import saved_rows
from gaokao.sync import conflicts, push
from gaokao.sync import pull as sync_pull
from gaokao.sync.models import Conflict
from gaokao.testing.sync import create_change, update_change

pytestmark = pytest.mark.django_db

RESUME = [
    {"start": "2014-09", "end": "2017-06", "school_or_employer": "长沙市一中初中部", "role": ""},
    {"start": "2017-09", "end": "", "school_or_employer": "长沙市一中", "role": "班长"},
]
FAMILY = [{"name": "张三", "relation": "父亲", "employer": "长沙某厂", "phone": "0731-1234567"}]


def test_s6_a_create_carries_the_rows(device, point, number_range):
    change = create_change(point, 3, resume=RESUME, family=FAMILY)
    [result] = push.apply_changes(device, [change])
    assert result["status"] == "applied", result["message"]
    candidate = ResumeEntry.objects.get(order=1).candidate
    assert saved_rows(candidate) == (RESUME, FAMILY)


def test_s6_an_update_replaces_the_rows_and_pull_sends_them(device, make, point):
    candidate = make(point)
    ResumeEntry.objects.create(candidate=candidate, start="2010-09", school_or_employer="旧学校")
    [result] = push.apply_changes(device, [update_change(candidate, resume=RESUME)])
    assert result["status"] == "applied", result["message"]
    assert saved_rows(candidate)[0] == RESUME
    candidate.refresh_from_db()
    assert candidate.data_saved_at is not None and candidate.version == 2
    [snapshot] = sync_pull.pull(device)["candidates"]
    assert (snapshot["resume"], snapshot["family"]) == (RESUME, [])


def test_s6_rows_are_checked_as_the_portal_checks_them(device, make, point):
    candidate = make(point)
    bad_month = [{"start": "2017/09", "school_or_employer": "长沙市一中"}]
    not_rows = "长沙市一中"
    unknown_column = [{"start": "2017-09", "school_or_employer": "一中", "salary": "1"}]
    changes = [
        update_change(candidate, resume=bad_month),
        update_change(candidate, family=not_rows),
        update_change(candidate, resume=unknown_column),
    ]
    results = push.apply_changes(device, changes)
    assert [r["status"] for r in results] == ["refused"] * 3
    assert "2016-09" in results[0]["message"]  # the portal's message: months as YYYY-MM
    assert "resume" in results[2]["message"]
    assert ResumeEntry.objects.count() == FamilyMember.objects.count() == 0
    candidate.refresh_from_db()
    assert candidate.version == 1


def test_s6_stale_rows_become_a_conflict_and_the_point_can_keep_them(
    device, make, point, point_user
):
    candidate = make(point)
    candidate.version = 2
    candidate.save()
    FamilyMember.objects.create(candidate=candidate, name="李四", relation="母亲")
    [result] = push.apply_changes(device, [update_change(candidate, 1, family=FAMILY)])
    assert result["status"] == "conflict"
    conflict = Conflict.objects.get()
    assert conflict.server_values["family"][0]["name"] == "李四"
    assert saved_rows(candidate)[1][0]["name"] == "李四"  # nothing overwritten
    conflicts.resolve(conflict, "point", by=point_user)
    assert saved_rows(candidate)[1] == FAMILY


def test_o3_the_card_read_at_the_point_reaches_the_server(device, make, point):
    candidate = make(point, identity_source=IdentitySource.MANUAL, identity_verified_at=None)
    read_at = timezone.localtime() - dt.timedelta(hours=2)
    change = update_change(candidate, identity_verified_at=read_at.isoformat())
    [result] = push.apply_changes(device, [change])
    assert result["status"] == "applied", result["message"]
    candidate.refresh_from_db()
    assert candidate.identity_verified_at == read_at
    assert candidate.identity_source == IdentitySource.READER


@pytest.mark.parametrize(
    "value",
    [None, "yesterday", "2019-11-09 08:00", (timezone.now() + dt.timedelta(days=1)).isoformat()],
)
def test_o3_a_verification_is_not_taken_back_or_invented(device, make, point, value):
    verified = timezone.now() - dt.timedelta(days=1)
    candidate = make(point, identity_verified_at=verified)
    [result] = push.apply_changes(device, [update_change(candidate, identity_verified_at=value)])
    assert result["status"] == "refused"
    candidate.refresh_from_db()
    assert candidate.identity_verified_at == verified and candidate.version == 1


def test_r4_the_offices_review_reaches_the_point_client_and_cannot_be_pushed(device, make, point):
    candidate = make(point, review_state=ReviewState.REJECTED, review_reason="证明材料不全")
    [snapshot] = sync_pull.pull(device)["candidates"]
    assert (snapshot["review_state"], snapshot["review_reason"]) == ("rejected", "证明材料不全")
    [result] = push.apply_changes(
        device, [update_change(candidate, review_state=ReviewState.APPROVED)]
    )
    assert result["status"] == "refused"
    candidate.refresh_from_db()
    assert candidate.review_state == ReviewState.REJECTED
