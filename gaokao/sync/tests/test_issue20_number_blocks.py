"""Issue 20, item 2: registration numbers that never collide between two PCs of one point.

Each enrolled point client gets its own block of the point's range, reserved at enrolment
and topped up at each pull (DHIS2's reserved values); it takes numbers from that block
only. A second PC is told it is the second. A number that clashes all the same never drops
the candidate: it waits in the county's conflict queue for a fresh number. The races run
on PostgreSQL (set DATABASE_URL); elsewhere they are skipped."""

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse

from gaokao.candidates import services as intake
from gaokao.candidates.errors import IntakeRefused
from gaokao.candidates.models import Candidate
from gaokao.candidates.tests.conftest import card
from gaokao.numbering.models import NumberBlock, NumberRange
from gaokao.numbering.services import allocate_number, use_local_holder
from gaokao.sync import conflicts as sync_conflicts
from gaokao.sync import enrolment, numbers, push
from gaokao.sync.models import Conflict, Device
from gaokao.sync.pull import pull
from gaokao.sync.tests.conftest import enrolled
from gaokao.sync.tests.test_r4_enrol import enrol, enrol_body
from gaokao.testing.concurrency import run_together
from gaokao.testing.sync import create_change, make_device

TRACK = "5"


@pytest.fixture
def big_range(season, point):
    """The point's numbers 1 to 300 for track 5, none issued yet."""
    from gaokao.codes.models import Code, Table

    track = Code.objects.get(table=Table.SUBJECT_TRACK, code=TRACK)
    return NumberRange.objects.create(
        season=season, point=point, subject_track=track, first=1, last=300, next_serial=1
    )


@pytest.fixture
def as_device():
    """as_device(device): intake takes numbers as that PC's client does (its own blocks)."""

    def switch(device):
        use_local_holder(lambda: device.pk)

    yield switch
    use_local_holder(None)


def serials(blocks):
    return {s for b in blocks for s in range(b.first, b.last + 1)}


def offline_numbers(device, season, point, n):
    """n numbers taken at the PC `device` while offline, as its intake takes them."""
    use_local_holder(lambda: device.pk)
    try:
        taken = []
        for _ in range(n):
            with transaction.atomic():
                taken.append(allocate_number(season, point, TRACK)[1])
        return taken
    finally:
        use_local_holder(None)


# ── enrolment: a block of its own, and which PC it is ──────────────────────────────────


def test_s3_issue20_enrolment_reserves_a_block_and_a_second_pc_is_told_it_is_the_second(
    client, clock, season, point, point_user, big_range
):
    user = enrolled(point_user)
    first = enrol(client, enrol_body(user, device_name="教务处电脑1")).json()
    clock.shift(dt.timedelta(minutes=1))  # a fresh authenticator code
    second = enrol(client, enrol_body(user, device_name="机房电脑2")).json()

    assert first["peers"]["number"] == 1 and first["peers"]["of"] == 1
    assert second["peers"] | {"id": None} == {
        "id": None,
        "name": "机房电脑2",
        "number": 2,
        "of": 2,
        "others": ["教务处电脑1"],
    }
    [a], [b] = first["blocks"], second["blocks"]
    assert (a["first"], a["last"], b["first"], b["last"]) == (1, 50, 51, 100)
    assert a["first_number"].endswith("0001") and b["last_number"].endswith("0100")
    # Reserved numbers are never handed out centrally.
    big_range.refresh_from_db()
    assert big_range.next_serial == 101
    with transaction.atomic():
        assert allocate_number(season, point, TRACK)[1].endswith("0101")


def test_s3_issue20_the_pull_tops_a_device_up_below_the_threshold_only(
    settings, season, point, point_user, big_range, as_device
):
    settings.GAOKAO_NUMBER_BLOCK_SIZE, settings.GAOKAO_NUMBER_BLOCK_TOP_UP_BELOW = 10, 4
    device = make_device(point, point_user)
    [block] = pull(device)["config"]["blocks"]
    assert (block["first"], block["last"], block["next_serial"]) == (1, 10, 1)
    peers = pull(device)["config"]["device"]
    assert (peers["number"], peers["of"]) == (1, 1)

    as_device(device)
    for n in range(1, 7):  # six used and sent: four left, not yet below the threshold
        with transaction.atomic():
            number = allocate_number(season, point, TRACK)[1]
        [result] = push.apply_changes(device, [create_change(point, n, registration_number=number)])
        assert result["status"] == "applied", result
    assert [b["last"] for b in pull(device)["config"]["blocks"]] == [10]
    with transaction.atomic():
        number = allocate_number(season, point, TRACK)[1]
    push.apply_changes(device, [create_change(point, 7, registration_number=number)])

    blocks = pull(device)["config"]["blocks"]  # three left: topped up to ten
    assert [(b["first"], b["last"], b["next_serial"]) for b in blocks] == [(1, 10, 8), (11, 17, 11)]


def test_s3_issue20_a_used_up_block_is_refused_at_the_point_with_what_to_do(
    settings, english, season, point, point_user, big_range, as_device
):
    settings.GAOKAO_NUMBER_BLOCK_SIZE = 2
    device = make_device(point, point_user)
    numbers.blocks_of(device, season)
    as_device(device)
    taken = [intake.take_in_from_card(season, point, TRACK, card(n), by=point_user) for n in (1, 2)]
    assert [c.registration_number[-4:] for c in taken] == ["0001", "0002"]

    with pytest.raises(IntakeRefused) as refused:
        intake.take_in_from_card(season, point, TRACK, card(3), by=point_user)
    assert "sync to get more numbers" in str(refused.value)
    assert Candidate.objects.count() == 2  # nothing half-saved, nothing lost
    # Not from the point's range behind the block's back: 3 is still free there.
    big_range.refresh_from_db()
    assert big_range.next_serial == 3


def test_s3_issue20_the_refusal_page_keeps_what_was_typed(
    settings, english, client, season, point, point_user, big_range, as_device
):
    settings.GAOKAO_NUMBER_BLOCK_SIZE = 1
    device = make_device(point, point_user)
    numbers.blocks_of(device, season)
    as_device(device)
    intake.take_in_from_card(season, point, TRACK, card(1), by=point_user)
    client.force_login(point_user)
    typed = {
        "subject_track": TRACK,
        "path": "migrant",
        "document_type": "1",
        "id_number": "11010519491231002X",
        "name": "外来务工子女",
        "sex": "2",
        "ethnicity": "01",
        "birth_date": "1949-12-31",
    }
    answer = client.post(reverse("candidates:manual"), typed)
    page = answer.content.decode()
    assert answer.status_code == 200 and "sync to get more numbers" in page
    assert 'value="11010519491231002X"' in page and 'value="外来务工子女"' in page
    assert Candidate.objects.count() == 1


# ── a clash all the same: the county's queue, never a dropped candidate ────────────────


def test_s3_issue20_a_number_of_another_pcs_block_goes_to_the_county_and_gets_a_fresh_number(
    client, season, point, point_user, county_user, other_county_user, big_range
):
    mine = make_device(point, point_user)
    theirs = make_device(point, point_user, token="second-" + "z" * 30, name="机房电脑2")
    numbers.blocks_of(mine, season)
    numbers.blocks_of(theirs, season)  # 51-100
    change = create_change(point, 1, registration_number=f"{point.county.registration_code}0051")

    [result] = push.apply_changes(mine, [change])

    assert result["status"] == "conflict" and result["reason"] == "number_taken"
    candidate = Candidate.objects.get(pk=change["candidate"])
    assert candidate.registration_number is None
    assert candidate.fee_receipt == "R-0001" and candidate.name == "同步考生1"  # all kept
    conflict = Conflict.objects.get()
    assert conflict.reason == Conflict.Reason.NUMBER_TAKEN
    assert "机房电脑2" in conflict.server_values["reserved"]

    # The point cannot decide it; another county does not see it.
    with pytest.raises(sync_conflicts.SyncRefused):
        sync_conflicts.resolve(conflict, "number", by=point_user)
    client.force_login(other_county_user)
    url = reverse("sync:conflict", args=[conflict.pk])
    assert client.post(url, {"choice": "number", "version": 1}).status_code == 404
    candidate.refresh_from_db()
    assert candidate.registration_number is None

    client.force_login(county_user)
    queue = client.get(reverse("sync:conflicts"))
    assert queue.status_code == 200 and "同步考生1" in queue.content.decode()
    page = client.get(url)
    assert page.status_code == 200 and 'value="number"' in page.content.decode()
    answer = client.post(url, {"choice": "number", "version": candidate.version})
    assert answer.status_code == 302
    candidate.refresh_from_db()
    # From the centre: after every block, never one reserved to a PC.
    assert candidate.registration_number.endswith("0101")
    assert candidate.version == 2 and candidate.fee_receipt == "R-0001"
    conflict.refresh_from_db()
    assert conflict.resolution == Conflict.Resolution.NUMBER
    # The point client's next pull brings the number.
    pulled = {c["id"]: c for c in pull(mine)["candidates"]}
    assert pulled[str(candidate.pk)]["registration_number"] == candidate.registration_number


def test_s3_issue20_a_number_another_record_holds_shows_both_records_to_the_county(
    client, make, season, point, point_user, county_user, device, number_range
):
    holder = make(point, registration_number=f"{point.county.registration_code}0003")
    change = create_change(point, 3)
    [result] = push.apply_changes(device, [change])
    assert result["status"] == "conflict"
    conflict = Conflict.objects.get()
    assert conflict.server_values["holder"] == str(holder.pk)
    client.force_login(county_user)
    page = client.get(reverse("sync:conflict", args=[conflict.pk])).content.decode()
    assert holder.name in page and reverse("candidates:detail", args=[holder.pk]) in page


def test_s3_issue20_a_revoked_pcs_numbers_are_never_handed_out_again(
    season, point, point_user, big_range
):
    old = make_device(point, point_user)
    [block] = numbers.blocks_of(old, season)
    enrolment.revoke(old, point_user)
    assert NumberBlock.objects.get(pk=block.pk).released_at is not None
    new = make_device(point, point_user, token="second-" + "z" * 30, name="新电脑")
    [fresh] = numbers.blocks_of(new, season)
    assert fresh.first == block.last + 1
    # A number of the released block is claimed like any number of the point's range.
    change = create_change(point, 5, registration_number=block.number(5))
    assert push.apply_changes(new, [change])[0]["status"] == "applied"


# ── on PostgreSQL: two PCs, and top-ups racing ─────────────────────────────────────────


@pytest.mark.django_db(transaction=True)
def test_s3_issue20_two_pcs_each_take_in_50_offline_and_sync_100_distinct_numbers(
    postgresql_only, clock, season, point, point_user, big_range
):
    a = make_device(point, point_user)
    b = make_device(point, point_user, token="second-" + "z" * 30, name="机房电脑2")
    pull(a), pull(b)  # online once: each gets its block
    taken = {
        a: offline_numbers(a, season, point, 50),
        b: offline_numbers(b, season, point, 50),
    }
    changes = {
        device: [
            create_change(point, offset + i, registration_number=number)
            for i, number in enumerate(taken[device], start=1)
        ]
        for device, offset in ((a, 0), (b, 50))
    }
    # Back online: both PCs sync at the same moment.
    results = run_together(2, lambda i: push.apply_changes((a, b)[i], changes[(a, b)[i]]))
    assert all(isinstance(r, list) for r in results), results
    assert {r["status"] for rs in results for r in rs} == {"applied"}
    numbers_now = list(Candidate.objects.values_list("registration_number", flat=True))
    assert len(numbers_now) == 100 and len(set(numbers_now)) == 100
    assert not Conflict.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_s3_issue20_concurrent_enrolments_and_top_ups_never_overlap(
    postgresql_only, season, point, point_user, big_range
):
    devices = [
        make_device(point, point_user, token=f"device-{i}-" + "w" * 30, name=f"电脑{i}")
        for i in range(5)
    ]
    results = run_together(5, lambda i: numbers.blocks_of(devices[i], season))
    assert all(isinstance(r, list) and len(r) == 1 for r in results), results
    blocks = list(NumberBlock.objects.all())
    assert len(blocks) == 5
    assert len(serials(blocks)) == 250  # disjoint: 5 × 50
    big_range.refresh_from_db()
    assert big_range.next_serial == 251
    # Topping up again at once reserves nothing more (none is below the threshold).
    run_together(5, lambda i: numbers.blocks_of(devices[i], season))
    assert NumberBlock.objects.count() == 5
    assert Device.objects.count() == 5
