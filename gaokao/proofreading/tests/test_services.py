"""S7 and E6: what a confirmation is worth, and who may record one when."""

import datetime as dt

import pytest
from django.utils import timezone

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Candidate, ReviewState, Stage
from gaokao.candidates.stage import Locked
from gaokao.proofreading import services
from gaokao.proofreading.models import Confirmation, IdentityCheck, Method, Printout
from gaokao.proofreading.services import ProofreadingRefused, State
from gaokao.proofreading.tests.conftest import change, new_photo
from gaokao.testing.factories import CandidateFactory, PointFactory, staff_for

pytestmark = pytest.mark.django_db


def fresh(candidate) -> Candidate:
    return Candidate.objects.get(pk=candidate.pk)


def printed(candidate, by):
    c = fresh(candidate)
    services.record_printed([(c, c.version)], document="sheet", by=by)
    return c


def sign(candidate, by, **kwargs):
    c = fresh(candidate)
    return services.record_signature(c, version=kwargs.pop("version", c.version), by=by, **kwargs)


def call(candidate, by, **fields):
    c = fresh(candidate)
    values = {
        "version": c.version,
        "called_by": by,
        "called_at": timezone.now(),
        "phone_number": "13812345678",
        "note": "逐项核对，无误",
    }
    values.update(fields)
    return services.record_phone_confirmation(c, by=by, **values)


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("at", "id"))


# ── signature (S7) ─────────────────────────────────────────────────────────────────────


def test_s7_signature_on_the_printed_sheet_makes_the_candidate_proofread(candidate, point_user):
    assert not services.is_proofread(candidate)
    assert services.state(candidate) == State.NOT_PRINTED
    printed(candidate, point_user)
    assert services.state(candidate) == State.PRINTED

    confirmation = sign(candidate, point_user)

    assert services.is_proofread(candidate)
    assert services.state(candidate) == State.SIGNED
    assert confirmation.method == Method.SIGNATURE
    assert confirmation.recorded_by == point_user
    assert confirmation.version == fresh(candidate).version
    [event] = events(Action.PROOFREAD_SIGNED)
    assert event.actor == point_user and event.point == candidate.point
    assert event.target == str(candidate)
    assert event.detail["version"] == confirmation.version


def test_s7_signature_needs_the_sheet_of_the_current_data_printed(candidate, point_user):
    with pytest.raises(ProofreadingRefused) as refused:
        sign(candidate, point_user)
    assert refused.value.code == "not_printed"

    printed(candidate, point_user)
    change(candidate, point_user)  # the printed sheet is now outdated
    assert services.state(candidate) == State.OUTDATED
    with pytest.raises(ProofreadingRefused) as refused:
        sign(candidate, point_user)
    assert refused.value.code == "not_printed"
    assert not Confirmation.objects.exists()
    assert not events(Action.PROOFREAD_SIGNED)


@pytest.mark.parametrize("what", [change, new_photo], ids=["data", "photo"])
def test_s7_a_change_or_a_new_photo_after_the_signature_outdates_it(candidate, point_user, what):
    new_photo(candidate, point_user)
    printed(candidate, point_user)
    sign(candidate, point_user)
    assert services.is_proofread(candidate)

    what(candidate, point_user)

    assert not services.is_proofread(candidate), "the signed sheet shows older data"
    assert services.state(candidate) == State.OUTDATED
    assert not Candidate.objects.filter(services.proofread_q()).exists()


def test_s7_a_sheet_printed_before_the_new_photo_is_outdated_and_cannot_be_signed(
    candidate, point_user
):
    printed(candidate, point_user)
    new_photo(candidate, point_user)
    assert services.state(candidate) == State.OUTDATED

    with pytest.raises(ProofreadingRefused) as refused:
        sign(candidate, point_user)
    assert refused.value.code == "not_printed"

    printed(candidate, point_user)
    assert services.state(candidate) == State.PRINTED
    sign(candidate, point_user)
    assert services.is_proofread(candidate)


def test_s7_a_photo_taken_while_the_sheet_was_being_made_outdates_it(candidate, point_user):
    read_at = timezone.now()  # the view reads the data, then renders the PDF
    new_photo(candidate, point_user)  # meanwhile
    c = fresh(candidate)
    services.record_printed([(c, c.version)], document="sheet", by=point_user, read_at=read_at)
    assert services.state(candidate) == State.OUTDATED


def test_e6_a_call_before_the_new_photo_confirms_the_old_one(candidate, point_user):
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    Candidate.objects.filter(pk=candidate.pk).update(updated_at=an_hour_ago)  # data unchanged
    call_time = timezone.now() - dt.timedelta(minutes=30)
    new_photo(candidate, point_user)
    with pytest.raises(ProofreadingRefused) as refused:
        call(candidate, point_user, called_at=call_time)
    assert refused.value.code == "call_before_change"

    call(candidate, point_user, called_at=timezone.now())
    assert services.is_proofread(candidate)
    new_photo(candidate, point_user)
    assert not services.is_proofread(candidate)


def test_s7_reconfirming_replaces_the_confirmation_and_the_trail_keeps_both(candidate, point_user):
    printed(candidate, point_user)
    first = sign(candidate, point_user)
    change(candidate, point_user)

    second = call(candidate, point_user)

    assert Confirmation.objects.count() == 1
    assert second.pk == first.pk and second.method == Method.PHONE
    assert services.state(candidate) == State.PHONE
    [signed] = events(Action.PROOFREAD_SIGNED)
    [by_phone] = events(Action.PROOFREAD_PHONE)
    assert signed.detail["version"] == first.version
    assert by_phone.detail["replaces"] == {"method": "signature", "version": first.version}


def test_s7_the_list_state_agrees_with_is_proofread(season, point, codes, point_user):
    not_printed, printed_only, signed, by_phone, outdated = (
        CandidateFactory(season=season, point=point) for _ in range(5)
    )
    for c in (printed_only, signed, outdated):
        printed(c, point_user)
    sign(signed, point_user)
    sign(outdated, point_user)
    change(outdated, point_user)
    call(by_phone, point_user)
    states = dict(
        services.with_state(Candidate.objects.all()).values_list("pk", "proofreading_state")
    )
    assert states == {
        not_printed.pk: State.NOT_PRINTED,
        printed_only.pk: State.PRINTED,
        signed.pk: State.SIGNED,
        by_phone.pk: State.PHONE,
        outdated.pk: State.OUTDATED,
    }
    for c in (not_printed, printed_only, signed, by_phone, outdated):
        assert services.is_proofread(c) == (states[c.pk] in (State.SIGNED, State.PHONE))


# ── by phone (E6) ──────────────────────────────────────────────────────────────────────


def test_e6_phone_confirmation_keeps_who_called_when_which_number_and_what(candidate, point_user):
    colleague = staff_for(candidate.point)
    at = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    confirmation = call(
        candidate,
        point_user,
        called_by=colleague,
        called_at=at,
        phone_number=" 138 1234 5678 ",
        note="  考生因洪水无法到场，电话逐项核对  ",
    )
    assert services.is_proofread(candidate), "no printed sheet needed on the phone"
    confirmation.refresh_from_db()
    assert confirmation.called_by == colleague and confirmation.recorded_by == point_user
    assert confirmation.called_at == at
    assert confirmation.phone_number == "13812345678"
    assert confirmation.note == "考生因洪水无法到场，电话逐项核对"
    [event] = events(Action.PROOFREAD_PHONE)
    assert event.detail["phone_number"] == "13812345678"
    assert event.detail["called_by"] == colleague.username


@pytest.mark.parametrize(
    "number", ["0731-84390000", "073184390000", "010-12345678", "１３８１２３４５６７８"]
)
def test_e6_landlines_and_full_width_digits_are_accepted(candidate, point_user, number):
    call(candidate, point_user, phone_number=number)
    assert services.is_proofread(candidate)


@pytest.mark.parametrize(
    "number",
    [
        "",
        "12345",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "23812345678",
        "12812345678",
        "+8613812345678",
        "138-1234-5678x",
        "13812345678; DROP TABLE",
        "84390000",  # no area code
        "0731-0439000",
        "1" * 30,
    ],
)
def test_e6_malformed_phone_numbers_are_refused(candidate, point_user, number):
    with pytest.raises(ProofreadingRefused) as refused:
        call(candidate, point_user, phone_number=number)
    assert refused.value.code == "phone_number"
    assert not Confirmation.objects.exists() and not events(Action.PROOFREAD_PHONE)


@pytest.mark.parametrize(
    ("note", "code"),
    [
        ("", "note_required"),
        ("   ", "note_required"),
        ("\x00\x1b\u200b\u202e", "note_required"),  # control and format characters only
        ("核" * 201, "note_too_long"),
    ],
)
def test_e6_a_note_is_required_and_limited(candidate, point_user, note, code):
    with pytest.raises(ProofreadingRefused) as refused:
        call(candidate, point_user, note=note)
    assert refused.value.code == code
    assert not Confirmation.objects.exists()


def test_e6_control_characters_are_dropped_from_the_note(candidate, point_user):
    confirmation = call(candidate, point_user, note="已核对\x1b[31m\u202e无误\x00")
    assert confirmation.note == "已核对[31m无误"


def test_e6_the_call_cannot_be_in_the_future_nor_before_the_last_change(candidate, point_user):
    with pytest.raises(ProofreadingRefused) as refused:
        call(candidate, point_user, called_at=timezone.now() + dt.timedelta(hours=1))
    assert refused.value.code == "called_at"

    before = timezone.now() - dt.timedelta(hours=2)
    with pytest.raises(ProofreadingRefused) as refused:
        call(candidate, point_user, called_at=before)
    assert refused.value.code == "call_before_change", "the candidate confirmed older data"
    assert not Confirmation.objects.exists()


def test_e6_who_called_must_work_for_the_same_unit(candidate, point_user, county_user):
    elsewhere = staff_for(PointFactory(county=candidate.point.county))
    inactive = staff_for(candidate.point, is_active=False)
    for caller in (elsewhere, county_user, inactive, None):
        with pytest.raises(ProofreadingRefused) as refused:
            call(candidate, point_user, called_by=caller)
        assert refused.value.code == "called_by"
    assert not Confirmation.objects.exists()


# ── identity keyed in by hand ──────────────────────────────────────────────────────────


def test_s7_identity_keyed_in_by_hand_is_checked_before_any_confirmation(keyed_in, point_user):
    assert not services.identity_checked(keyed_in)
    printed(keyed_in, point_user)
    for confirm in (sign, call):
        with pytest.raises(ProofreadingRefused) as refused:
            confirm(keyed_in, point_user)
        assert refused.value.code == "not_confirmable"
    assert not Confirmation.objects.exists()

    c = fresh(keyed_in)
    check = services.record_identity_check(
        c, version=c.version, note="核对户口簿原件，号码一致", by=point_user
    )

    assert services.identity_checked(keyed_in)
    assert (check.name, check.id_number_index) == (c.name, c.id_number_index)
    assert check.checked_by == point_user
    [event] = events(Action.IDENTITY_CHECKED_MANUALLY)
    assert event.detail["note"] == "核对户口簿原件，号码一致"
    assert fresh(keyed_in).version == c.version, "the check does not outdate the sheet"
    sign(keyed_in, point_user)
    assert services.is_proofread(keyed_in)


def test_s7_identity_verified_with_the_card_later_needs_no_check_by_hand(keyed_in, point_user):
    Candidate.objects.filter(pk=keyed_in.pk).update(identity_verified_at=timezone.now())
    assert services.identity_checked(keyed_in)
    call(keyed_in, point_user)
    assert services.is_proofread(keyed_in)


def test_s7_identity_read_from_the_card_needs_no_check_and_refuses_one(candidate, point_user):
    assert services.identity_checked(candidate)
    with pytest.raises(ProofreadingRefused) as refused:
        services.record_identity_check(candidate, version=candidate.version, note="", by=point_user)
    assert refused.value.code == "not_needed"
    assert not IdentityCheck.objects.exists()


def test_s7_a_check_by_hand_no_longer_counts_once_the_identity_changes(keyed_in, point_user):
    services.record_identity_check(keyed_in, version=keyed_in.version, note="", by=point_user)
    Candidate.objects.filter(pk=keyed_in.pk).update(name="王小明")
    assert not services.identity_checked(keyed_in)


def test_s7_the_identity_check_note_is_limited(keyed_in, point_user):
    with pytest.raises(ProofreadingRefused) as refused:
        services.record_identity_check(
            keyed_in, version=keyed_in.version, note="x" * 201, by=point_user
        )
    assert refused.value.code == "note_too_long"
    assert not IdentityCheck.objects.exists()


def test_s7_no_confirmation_while_the_identity_review_is_open(keyed_in, point_user):
    Candidate.objects.filter(pk=keyed_in.pk).update(review_state=ReviewState.PENDING)
    services.record_identity_check(keyed_in, version=keyed_in.version, note="", by=point_user)
    with pytest.raises(ProofreadingRefused) as refused:
        call(keyed_in, point_user)
    assert refused.value.code == "not_confirmable"


# ── who may record, and on which data ──────────────────────────────────────────────────


def test_s7_a_stale_version_is_refused(candidate, keyed_in, point_user):
    printed(candidate, point_user)
    old = fresh(candidate).version
    change(candidate, point_user)
    printed(candidate, point_user)
    for write in (
        lambda: sign(candidate, point_user, version=old),
        lambda: call(candidate, point_user, version=old),
        lambda: services.record_identity_check(
            keyed_in, version=keyed_in.version - 1, note="", by=point_user
        ),
    ):
        with pytest.raises(ProofreadingRefused) as refused:
            write()
        assert refused.value.code == "stale"
    assert not Confirmation.objects.exists() and not IdentityCheck.objects.exists()


def test_s7_a_record_submitted_to_the_county_is_locked_for_the_point(
    candidate, keyed_in, point_user
):
    printed(candidate, point_user)
    Candidate.objects.filter(pk__in=[candidate.pk, keyed_in.pk]).update(stage=Stage.COUNTY)
    for write in (
        lambda: sign(candidate, point_user),
        lambda: call(candidate, point_user),
        lambda: services.record_identity_check(
            keyed_in, version=keyed_in.version, note="", by=point_user
        ),
    ):
        with pytest.raises(Locked):
            write()
    assert not Confirmation.objects.exists() and not IdentityCheck.objects.exists()
    assert not events(Action.PROOFREAD_SIGNED) and not events(Action.PROOFREAD_PHONE)


def test_s7_the_county_records_only_for_records_it_holds(candidate, county_user):
    with pytest.raises(Locked):
        call(candidate, county_user)
    Candidate.objects.filter(pk=candidate.pk).update(stage=Stage.COUNTY)
    call(candidate, county_user)
    assert services.is_proofread(candidate)


def test_s7_another_countys_staff_record_nothing(
    candidate, keyed_in, other_county_user, other_point
):
    other_point_user = staff_for(other_point)
    Candidate.objects.filter(pk=candidate.pk).update(stage=Stage.COUNTY)
    for user in (other_county_user, other_point_user):
        for write in (
            lambda u=user: call(candidate, u),
            lambda u=user: services.record_identity_check(
                keyed_in, version=keyed_in.version, note="", by=u
            ),
        ):
            with pytest.raises(ProofreadingRefused) as refused:
                write()
            assert refused.value.code == "not_visible"
    assert not Confirmation.objects.exists() and not IdentityCheck.objects.exists()


# ── printing ───────────────────────────────────────────────────────────────────────────


def test_s7_printing_marks_each_candidate_and_audits_once_per_point(
    season, point, codes, county_user
):
    neighbour = PointFactory(county=point.county)
    here = [CandidateFactory(season=season, point=point) for _ in range(2)]
    there = CandidateFactory(season=season, point=neighbour)
    batch = [(c, c.version) for c in [*here, there]]

    services.record_printed(batch, document="form", by=county_user)
    services.record_printed(batch[:1], document="sheet", by=county_user)

    counts = dict(Printout.objects.values_list("candidate", "count"))
    assert counts == {here[0].pk: 2, here[1].pk: 1, there.pk: 1}
    printed_events = events(Action.PROOFREAD_PRINTED)
    assert sorted((e.point_id, e.detail["document"]) for e in printed_events) == sorted(
        [(point.pk, "form"), (neighbour.pk, "form"), (point.pk, "sheet")]
    )
    numbers = {e.point_id: e.detail["numbers"] for e in printed_events[:2]}
    assert sorted(numbers[point.pk]) == sorted(c.registration_number for c in here)
