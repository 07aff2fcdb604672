"""Issue 10 §4: hypothesis on what arrives as files — photos (`add_photo`), disc bundles
signed by an enrolled device but carrying anything at all, and the importers of the school
list, comments and results. Each file is either taken whole or refused with a message;
nothing half-stored, nothing but the module's own error ever escapes."""

import csv
import datetime as dt
import hashlib
import io
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from gaokao.bundles import format as bf
from gaokao.bundles import services as bundles
from gaokao.bundles.format import BundleRefused
from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.models import Candidate
from gaokao.codes.models import Code, Table
from gaokao.codes.schools import SchoolFileError, import_schools
from gaokao.comments import services as comments
from gaokao.comments.models import Comment
from gaokao.lib.spreadsheet import SpreadsheetError
from gaokao.photos.models import CandidatePhoto
from gaokao.photos.services import PhotoRefused, add_photo
from gaokao.results import formats
from gaokao.results import services as results
from gaokao.sync.models import Device, PhotoUpload, Receipt
from gaokao.testing import hostile
from gaokao.testing.factories import staff_for
from gaokao.testing.fuzzing import CORPUS, JSON, TEXT, fuzz, rolled_back
from gaokao.testing.sync import create_change, update_change

pytestmark = pytest.mark.django_db


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# ── photos ────────────────────────────────────────────────────────────────────────────

VALID_JPEG = hostile.jpeg()
HEADS = [b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b""]


@fuzz()
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.builds(lambda head, tail: head + tail, st.sampled_from(HEADS), st.binary(max_size=2000)),
        st.builds(
            lambda flips: bytes(b ^ dict(flips).get(i, 0) for i, b in enumerate(VALID_JPEG[:4000])),
            st.lists(st.tuples(st.integers(0, 3999), st.integers(1, 255)), max_size=6),
        ),
    )
)
def test_e3_fuzz_photos_are_refused_with_a_code_and_leave_nothing(
    candidate, point_user, media, data
):
    with rolled_back():
        try:
            photo = add_photo(candidate, data, source="upload", by=point_user)
        except PhotoRefused as e:
            assert e.code and e.messages and e.messages[0]
            assert not CandidatePhoto.objects.exists()
            assert not stored_files(media)
            return
        # A few random changes to a JPEG's scan data may still decode: a normalised photo.
        assert photo.normalised_bytes > 0
        for field in (photo.original, photo.normalised):
            field.storage.delete(field.name)


@pytest.mark.parametrize(
    "build,code",
    [
        (hostile.png_bomb, "too_many_pixels"),
        (hostile.png_header_bomb, "too_many_pixels"),
        (hostile.truncated_jpeg, "broken"),
        (hostile.html_as_image, "not_image"),
        (hostile.gif, "unsupported_format"),
        (hostile.oversized, "too_large"),
        (lambda: hostile.INVALID_UTF8, "not_image"),
        (lambda: b"", "empty"),
    ],
    ids=["png-bomb", "header-bomb", "truncated", "html", "gif", "25mb", "invalid-utf8", "empty"],
)
def test_e3_fuzz_hostile_photo_files_are_refused_by_code(candidate, point_user, media, build, code):
    with pytest.raises(PhotoRefused) as caught:
        add_photo(candidate, build(), source="upload", by=point_user)
    assert caught.value.code == code and caught.value.messages[0]
    assert not CandidatePhoto.objects.exists() and not stored_files(media)


def test_e3_fuzz_a_polyglot_becomes_a_plain_photo_without_its_payload(candidate, point_user):
    photo = add_photo(candidate, hostile.polyglot_jpeg(), source="upload", by=point_user)
    normalised = photo.normalised.read()
    assert normalised.startswith(b"\xff\xd8") and b"<script>" not in normalised
    assert b"PK\x03\x04" not in normalised  # the appended archive is gone too


# ── bundles: signed by an enrolled device, holding anything ──────────────────────────

KEY = Ed25519PrivateKey.generate()


@pytest.fixture
def signed_device(point, point_user):
    import base64

    raw = KEY.public_key().public_bytes_raw()
    return Device.objects.create(
        point=point,
        name="报名点电脑1",
        public_key=base64.b64encode(raw).decode(),
        token_hash="f" * 64,
        enrolled_by=point_user,
    )


def write(device, changes, photos=(), created_at=None, point_code=None) -> bytes:
    return bf.write_bundle(
        device_id=device.pk,
        device_private_key=KEY,
        server_public_key=bf.x25519_public_key(bf.server_public_key_b64()),
        point_code=point_code or device.point.code,
        changes=list(changes),
        photos=list(photos),
        created_at=created_at or dt.datetime(2019, 11, 4, 9, tzinfo=dt.UTC),
    )


PHOTO_ENTRY = st.fixed_dictionaries(
    {
        "id": st.uuids(),
        "data": st.one_of(st.binary(max_size=300), st.just(VALID_JPEG[:500])),
        "source": st.one_of(st.sampled_from(["camera", "upload", "network"]), TEXT),
        "note": TEXT,
    }
)


@fuzz()
@given(st.data())
def test_e3_fuzz_signed_bundles_with_any_content_are_applied_or_refused_item_by_item(
    signed_device, candidate, county_user, number_range, point, data
):
    changes = data.draw(
        st.lists(
            st.one_of(
                st.dictionaries(st.text(max_size=10), JSON, max_size=4),
                st.builds(
                    lambda extra: create_change(point, 5) | extra,
                    st.dictionaries(st.sampled_from(["kind", "fields", "id"]), JSON, max_size=1),
                ),
                st.builds(
                    lambda fields: update_change(candidate) | {"fields": fields},
                    st.dictionaries(st.sampled_from(["fee_receipt", "mobile", "awards"]), JSON),
                ),
            ),
            max_size=3,
        )
    )
    photos = [
        {
            "id": p["id"],
            "candidate": data.draw(st.sampled_from([candidate.pk, uuid.uuid4()])),
            "sha256": hashlib.sha256(p["data"]).hexdigest(),
            "data": p["data"],
            "source": p["source"],
            "note": p["note"],
        }
        for p in data.draw(st.lists(PHOTO_ENTRY, max_size=2))
    ]
    bundle = write(signed_device, changes, photos)
    with rolled_back():
        result = bundles.apply(bundle, county_user)
        assert sum(result.counts.values()) == len(changes)
        assert sum(result.photos.values()) == len(photos)
        for problem in [*result.refused, *result.photo_problems]:
            assert problem.message and hostile.is_clean(problem.message)
        assert Receipt.objects.count() <= len(changes)
        assert PhotoUpload.objects.filter(data__gt=b"").count() == 0  # nothing half-stored


@fuzz()
@given(st.binary(max_size=400) | st.builds(lambda t: b"GKBUNDLE\x00\x01" + t, st.binary()))
def test_e3_fuzz_random_files_are_refused_as_bundles(county_user, data):
    with rolled_back(), pytest.raises(BundleRefused) as caught:
        bundles.check(data, county_user)
    assert caught.value.reason and caught.value.message


def test_e3_fuzz_a_bundle_claiming_an_impossible_time_is_shown_not_crashed(
    client, signed_device, county_user, number_range, point
):
    early = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14)))
    bundle = write(signed_device, [create_change(point, 3)], created_at=early)
    client.force_login(county_user)
    page = client.post(
        reverse("bundles:import"), {"file": SimpleUploadedFile("x.gkbundle", bundle)}
    )
    assert page.status_code == 200
    assert not Candidate.objects.exists()


# ── the school list ───────────────────────────────────────────────────────────────────


CSV_CELL = st.one_of(
    st.text(max_size=12), CORPUS.map(lambda s: s[:80]), st.sampled_from(["S001", "430102", ""])
)


def csv_bytes(rows, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding, "surrogatepass")


@fuzz()
@given(
    st.one_of(
        st.binary(max_size=500),
        st.lists(st.lists(CSV_CELL, max_size=4), max_size=6).map(
            lambda rows: csv_bytes([["code", "name", "county"], *rows])
        ),
    )
)
def test_e3_fuzz_school_files_load_whole_or_not_at_all(county, data):
    with rolled_back():
        before = Code.objects.filter(table=Table.SCHOOL).count()
        try:
            report = import_schools(data)
        except SchoolFileError as e:
            assert str(e)
            return
        after = Code.objects.filter(table=Table.SCHOOL)
        if report.errors:
            assert after.count() == before  # one bad row saves none
            assert all(line >= 2 and message for line, message in report.errors)
        for school in after:
            assert school.name.isprintable() and hostile.is_clean(school.name)


def test_e3_fuzz_a_school_file_with_a_huge_cell_is_refused_not_crashed(county):
    with pytest.raises(SchoolFileError):
        import_schools(hostile.csv_huge_field("code,name,county"))


# ── comments and results imports ──────────────────────────────────────────────────────


@fuzz()
@given(
    st.lists(st.lists(CSV_CELL, min_size=2, max_size=3), max_size=5),
    st.sampled_from(["评语.csv", "评语.xlsx"]),
)
def test_e3_fuzz_comment_files_are_checked_row_by_row(candidate, point_user, rows, filename):
    rows = [["报名号", "评语"], [candidate.registration_number, rows[0][0] if rows else ""], *rows]
    data = hostile.xlsx(rows) if filename.endswith("xlsx") else csv_bytes(rows)
    with rolled_back():
        try:
            upload, report = comments.dry_run(data, filename, by=point_user)
        except (SpreadsheetError, CandidateRefused) as e:
            assert str(e)
            return
        for row in report.rows:
            assert hostile.is_clean(row.text)
            assert row.ok or row.message
        try:
            outcome = comments.apply_import(upload, by=point_user)
        except CandidateRefused as e:
            assert e.messages
            assert not Comment.objects.exists()
            return
        for comment in Comment.objects.all():
            assert hostile.is_clean(comment.text) and "\n" not in comment.text
        assert outcome.written == Comment.objects.count()


@pytest.fixture
def city_importer(county):
    return staff_for(county.parent)


@fuzz()
@given(
    st.sampled_from(sorted(formats.KINDS)),
    st.lists(st.lists(CSV_CELL, min_size=1, max_size=8), max_size=4),
)
def test_e3_fuzz_result_files_import_whole_or_not_at_all(candidate, city_importer, kind, rows):
    header = formats.headers(formats.KINDS[kind])
    data = csv_bytes([header, *rows])
    with rolled_back():
        report = results.run_import(kind, data, "成绩.csv", by=city_importer, dry_run=False)
        model = formats.KINDS[kind].model
        if report.file_error or not report.ok:
            assert report.file_error or any(r.problems for r in report.rows)
            assert not model.objects.exists()  # one bad row imports none
            return
        for row in model.objects.values():
            assert all(hostile.is_clean(v) for v in row.values() if isinstance(v, str))
