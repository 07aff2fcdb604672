"""E3: the audit trail is a hash chain per unit and day; editing, deleting or reordering an
event is found by `Verification`, and names the event."""

import hashlib

import pytest
import time_machine
from django.utils import timezone

from gaokao.audit import chain
from gaokao.audit.models import Action, AuditChainHead, AuditEvent
from gaokao.audit.services import record
from gaokao.audit.verify import Verification
from gaokao.regions.models import Region
from gaokao.testing.factories import CandidateFactory, aware

pytestmark = pytest.mark.django_db


def problems(**scope):
    return list(Verification(**scope).problems())


def kinds(**scope):
    return [(p.kind, p.seq) for p in problems(**scope)]


@pytest.fixture
def trail(point_user):
    """Five events of one point, one chain."""
    return [record(Action.LOGIN, actor=point_user, n=i) for i in range(5)]


def test_e3_audit_chain_appending_keeps_a_valid_chain(point_user, county_user, point):
    events = [
        record(Action.LOGIN, actor=point_user),
        record(Action.PHOTO_ADDED, actor=point_user, unit=point, size=1024, ok=True),
        record(Action.LOGIN, actor=county_user),
        record(Action.LOGIN, actor=point_user),
    ]
    today = timezone.localdate().isoformat()
    at_point = [e for e in events if e.point_id == point.pk]
    assert {e.chain for e in at_point} == {f"p{point.pk}:{today}"}
    assert [e.seq for e in at_point] == [1, 2, 3]
    assert at_point[0].prev_hash == chain.GENESIS
    assert [e.prev_hash for e in at_point[1:]] == [e.hash for e in at_point[:-1]]
    assert events[2].chain == f"r{county_user.region_id}:{today}" and events[2].seq == 1
    head = AuditChainHead.objects.get(pk=at_point[0].chain)
    assert (head.seq, head.hash, head.day) == (3, at_point[-1].hash, timezone.localdate())
    # What is stored hashes as what was hashed when it was written.
    for event in AuditEvent.objects.all():
        assert chain.intact(event)
    assert problems() == []


def test_e3_audit_chain_is_per_unit_and_day(point_user):
    with time_machine.travel(aware(2026, 11, 28, 23, 59, 59)):
        late = record(Action.LOGIN, actor=point_user)
    with time_machine.travel(aware(2026, 11, 29, 0, 0, 1)):
        early = record(Action.LOGIN, actor=point_user)
    assert late.chain.endswith(":2026-11-28") and early.chain.endswith(":2026-11-29")
    assert late.seq == early.seq == 1
    assert problems() == []
    assert kinds(chain=early.chain) == []
    from_29th = Verification(since=timezone.localdate(early.at))
    assert list(from_29th.problems()) == [] and from_29th.events == 1


def test_e3_audit_chain_events_without_a_unit_are_spread_over_province_chains(rf, county):
    province = Region.objects.get(level=Region.Level.PROVINCE)
    events = []
    for i in range(40):
        request = rf.post("/", REMOTE_ADDR=f"10.0.{i}.{i}")
        request.user = type("Anonymous", (), {"is_authenticated": False})()
        events.append(record(Action.LOGIN_FAILED, request=request, label=f"guess{i}"))
    assert {e.region_id for e in events} == {province.pk}
    stripes = {e.chain for e in events}
    assert 1 < len(stripes) <= chain.UNOWNED_STRIPES
    assert all(c.startswith(f"r{province.pk}:") for c in stripes)
    assert problems() == []


def test_e3_audit_chain_stores_the_target_as_data(point_user, point):
    candidate = CandidateFactory(point=point)
    by_model = record(Action.CANDIDATE_REVIEWED, actor=point_user, target=candidate)
    by_text = record(Action.RESULTS_IMPORTED, actor=point_user, target="results.xlsx")
    assert (by_model.target_type, by_model.target_id) == ("candidates.candidate", str(candidate.pk))
    assert by_model.target == str(candidate)
    assert (by_text.target_type, by_text.target_id, by_text.target) == ("", "", "results.xlsx")


def test_e3_audit_chain_hashes_what_the_database_gives_back(rf, point_user):
    """Addresses, JSON keys and numbers come back from the database in a normal form; the
    hash must not depend on how the caller wrote them."""
    request = rf.get("/", REMOTE_ADDR="2001:DB8:0:0:0:0:0:1")
    request.user = point_user
    record(
        Action.LOGIN,
        request=request,
        numbers={1: "one", 2: "two"},
        pair=(1, 2),
        ratio=0.1,
        big=1e20,
        whole=2.0,
        text='湖南 \u2028 "quoted" \\ back',
        none=None,
    )
    stored = AuditEvent.objects.get()
    assert stored.ip == "2001:db8::1"
    assert chain.intact(stored)
    assert problems() == []


def test_e3_audit_chain_verify_passes_on_a_clean_trail(trail, county_user, rf):
    record(Action.LOGIN, actor=county_user)
    verification = Verification()
    assert list(verification.problems()) == []
    assert (verification.events, verification.chains) == (6, 2)


def test_e3_audit_chain_editing_the_detail_is_detected_and_named(trail):
    AuditEvent.objects.filter(pk=trail[2].pk).update(detail={"n": 99})
    found = problems()
    assert [(p.kind, p.seq, p.event_id) for p in found] == [("edited", 3, trail[2].pk)]
    assert str(trail[2].pk) in found[0].message
    assert trail[2].chain in str(found[0])


def test_e3_audit_chain_editing_the_action_is_detected(trail):
    AuditEvent.objects.filter(pk=trail[1].pk).update(action=Action.LOGOUT)
    assert [(p.kind, p.event_id) for p in problems()] == [("edited", trail[1].pk)]


@pytest.mark.parametrize(
    "change",
    [
        {"actor_label": "someone-else"},
        {"ip": "10.9.9.9"},
        {"target": "另一个考生"},
        {"target_id": "42"},
        {"point": None},
    ],
)
def test_e3_audit_chain_editing_any_field_is_detected(trail, change):
    AuditEvent.objects.filter(pk=trail[3].pk).update(**change)
    assert kinds() == [("edited", 4)]


def test_e3_audit_chain_editing_the_time_is_detected(trail):
    AuditEvent.objects.filter(pk=trail[0].pk).update(at=trail[0].at.replace(microsecond=0))
    assert kinds() == [("edited", 1)]


def test_e3_audit_chain_rehashing_without_the_key_is_detected(trail):
    """Whoever can write to the database but has not the key cannot make an edit look
    right: a plain SHA-256 recomputed over the edited fields does not match."""
    event = AuditEvent.objects.get(pk=trail[2].pk)
    event.detail = {"n": 99}
    event.hash = hashlib.sha256(chain.canonical(event)).hexdigest()
    event.save()
    AuditEvent.objects.filter(pk=trail[3].pk).update(prev_hash=event.hash)
    assert kinds() == [("edited", 3), ("edited", 4)]


def test_e3_audit_chain_deleting_an_event_is_detected(trail):
    AuditEvent.objects.filter(pk__in=[trail[1].pk, trail[2].pk]).delete()
    assert kinds() == [("missing", 2)]
    assert "2" in problems()[0].message and "3" in problems()[0].message


def test_e3_audit_chain_deleting_the_first_event_is_detected(trail):
    AuditEvent.objects.filter(pk=trail[0].pk).delete()
    assert kinds() == [("missing", 1)]


def test_e3_audit_chain_deleting_the_last_event_is_detected_by_the_head(trail):
    AuditEvent.objects.filter(pk=trail[-1].pk).delete()
    assert kinds() == [("tail", 5)]


def test_e3_audit_chain_deleting_every_event_of_a_chain_is_detected(trail):
    AuditEvent.objects.all().delete()
    assert [(p.kind, p.chain) for p in problems()] == [("emptied", trail[0].chain)]


def test_e3_audit_chain_deleting_the_head_is_detected(trail):
    AuditChainHead.objects.all().delete()
    assert kinds() == [("no_head", None)]


def test_e3_audit_chain_replacing_the_head_is_detected(trail):
    AuditChainHead.objects.update(hash=trail[3].hash)
    assert kinds() == [("end", 5)]


def test_e3_audit_chain_swapping_two_events_is_detected(trail):
    a, b = trail[1], trail[2]
    AuditEvent.objects.filter(pk=a.pk).update(seq=1000)
    AuditEvent.objects.filter(pk=b.pk).update(seq=2)
    AuditEvent.objects.filter(pk=a.pk).update(seq=3)
    found = problems()
    assert [(p.kind, p.seq, p.event_id) for p in found] == [
        ("moved", 2, b.pk),
        ("moved", 3, a.pk),
    ]
    assert "3" in found[0].message and "2" in found[0].message


def test_e3_audit_chain_swapping_the_contents_of_two_rows_is_detected(trail):
    """Swap everything but the place: each row keeps its seq and gets the other's fields
    and hash."""
    a, b = (AuditEvent.objects.get(pk=e.pk) for e in trail[1:3])
    fields = ["at", "detail", "prev_hash", "hash"]
    for field in fields:
        va, vb = getattr(a, field), getattr(b, field)
        setattr(a, field, vb)
        setattr(b, field, va)
    AuditEvent.objects.bulk_update([a, b], fields)
    assert [k for k, _ in kinds()] == ["moved", "moved"]


def test_e3_audit_chain_an_event_added_outside_the_application_is_detected(trail, point_user):
    forged = AuditEvent.objects.create(action=Action.LOGIN, actor=point_user, actor_label="x")
    assert [(p.kind, p.event_id) for p in problems()] == [("unchained", forged.pk)]


def test_e3_audit_chain_an_event_forged_at_the_end_is_detected(trail, point_user):
    last = trail[-1]
    forged = AuditEvent(
        at=timezone.now(),
        action=Action.LOGIN,
        actor=point_user,
        point=last.point,
        chain=last.chain,
        seq=6,
        prev_hash=last.hash,
    )
    forged.hash = hashlib.sha256(chain.canonical(forged)).hexdigest()
    forged.save()
    assert kinds() == [("edited", 6), ("beyond", 6)]


def test_e3_audit_chain_an_event_moved_to_another_chain_is_detected(trail, county_user):
    other = record(Action.LOGIN, actor=county_user)
    AuditEvent.objects.filter(pk=trail[4].pk).update(chain=other.chain, seq=2)
    assert sorted(kinds()) == [("beyond", 2), ("edited", 2), ("tail", 5)]


def test_e3_audit_chain_scope_by_chain_and_day(trail, county_user):
    elsewhere = record(Action.LOGIN, actor=county_user)
    AuditEvent.objects.filter(pk=elsewhere.pk).update(detail={"edited": True})
    assert kinds(chain=trail[0].chain) == []
    assert kinds(chain=elsewhere.chain) == [("edited", 1)]
    tomorrow = timezone.localdate() + timezone.timedelta(days=1)
    assert kinds(since=tomorrow) == []
    assert kinds(since=timezone.localdate()) == [("edited", 1)]


def test_e3_audit_chain_survives_a_rotated_secret_key(trail, settings):
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-for-the-installation-0123456789"
    assert [k for k, _ in kinds()] == ["edited"] * 5  # the key is what makes it tamper-proof
    settings.SECRET_KEY_FALLBACKS = [old]
    assert kinds() == []
    newer = record(Action.LOGIN, actor=trail[0].actor)
    assert newer.seq == 6 and kinds() == []


def test_e3_audit_chain_a_dedicated_key_takes_over(trail, settings):
    settings.AUDIT_KEY = "a-dedicated-audit-key-kept-outside-the-database"
    record(Action.LOGIN, actor=trail[0].actor)
    assert chain.keys()[0] == chain._derive(settings.AUDIT_KEY)
    assert kinds() == []  # older events still verify with the SECRET_KEY-derived key
    settings.SECRET_KEY = "another-secret-key-for-the-installation-0123456789"
    assert [k for k, _ in kinds()] == ["edited"] * 5


def test_e3_audit_chain_existing_events_are_chained_by_the_migration(point_user, county_user):
    """Migration 0011: events from before the chain get chained per unit and day in
    (at, id) order, and new events continue those chains."""
    with time_machine.travel(aware(2026, 11, 27, 10, 0)):
        yesterday = [record(Action.LOGIN, actor=point_user) for _ in range(2)]
    today = [record(Action.LOGIN, actor=u) for u in (point_user, county_user, point_user)]
    AuditEvent.objects.update(chain="", seq=None, prev_hash="", hash="")
    AuditChainHead.objects.all().delete()
    assert {p.kind for p in problems()} == {"unchained"}

    assert chain.chain_legacy(AuditEvent, AuditChainHead, batch=2) == 5

    chained = {e.pk: e for e in AuditEvent.objects.all()}
    assert [chained[e.pk].seq for e in yesterday] == [1, 2]
    assert [chained[e.pk].seq for e in today] == [1, 1, 2]
    assert chained[today[0].pk].chain == today[0].chain
    assert problems() == []
    following = record(Action.LOGIN, actor=point_user)
    assert (following.chain, following.seq) == (today[0].chain, 3)
    assert problems() == []


def test_e3_audit_chain_a_rolled_back_event_leaves_no_gap(point_user):
    from django.db import transaction

    record(Action.LOGIN, actor=point_user)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(Action.LOGIN, actor=point_user)
        raise RuntimeError
    after = record(Action.LOGIN, actor=point_user)
    assert after.seq == 2
    assert problems() == []
