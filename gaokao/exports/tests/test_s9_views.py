"""S9: the export page and its downloads — CSV, XLSX and the photos ZIP — for city and
province staff only, each with their own candidates only, each download audited."""

import hashlib
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Candidate, Stage
from gaokao.exports.services import HEADER, MISSING_PHOTOS_NAME
from gaokao.exports.tests.conftest import read_csv
from gaokao.photos.models import CandidatePhoto
from gaokao.photos.tests import images

pytestmark = pytest.mark.django_db

INDEX, CSV, XLSX, PHOTOS = (reverse(f"exports:{n}") for n in ("index", "csv", "xlsx", "photos"))
DOWNLOADS = (CSV, XLSX, PHOTOS)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def xlsx_rows(response) -> list[list[str]]:
    workbook = load_workbook(io.BytesIO(body(response)), read_only=True)
    sheet = workbook["T_BMK"]
    return [["" if v is None else v for v in r] for r in sheet.iter_rows(values_only=True)]


def exports() -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action__in=[Action.CANDIDATES_EXPORTED, Action.PHOTOS_EXPORTED]
        ).order_by("id")
    )


# ── who may export ─────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("url", [INDEX, *DOWNLOADS])
def test_s9_county_and_point_staff_are_refused(client, url, county_user, point_user, make):
    make(stage=Stage.CITY)
    for user in (county_user, point_user):
        client.force_login(user)
        assert client.get(url).status_code == 403
    assert exports() == []


@pytest.mark.parametrize("url", [INDEX, *DOWNLOADS])
def test_s9_another_countys_user_is_refused_and_nothing_is_recorded(
    client, url, other_county_user, make
):
    make(stage=Stage.PROVINCE)
    client.force_login(other_county_user)
    assert client.get(url).status_code == 403
    assert exports() == []


@pytest.mark.parametrize("url", [INDEX, *DOWNLOADS])
def test_s9_signed_out_visitors_go_to_the_sign_in_page(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]


def test_s9_another_citys_export_holds_none_of_ours(
    client, make, other_city_user, other_point, with_photo
):
    ours = make(stage=Stage.CITY)
    with_photo(ours)
    theirs = make(stage=Stage.CITY, point=other_point)
    client.force_login(other_city_user)

    csv_rows = read_csv(body(client.get(CSV)))
    assert [r[0] for r in csv_rows[1:]] == [theirs.registration_number]
    assert [r[0] for r in xlsx_rows(client.get(XLSX))[1:]] == [theirs.registration_number]
    assert zipfile.ZipFile(io.BytesIO(body(client.get(PHOTOS)))).namelist() == []
    assert ours.registration_number not in client.get(INDEX).text


# ── CSV ────────────────────────────────────────────────────────────────────────────────


def test_s9_the_city_downloads_its_submitted_candidates_as_csv(client, make, city_user):
    confirmed = make(stage=Stage.CITY, name="李四")
    accepted = make(stage=Stage.ACCEPTED)
    make(stage=Stage.COUNTY)  # not yet confirmed by the city
    make(stage=Stage.POINT)
    client.force_login(city_user)

    response = client.get(CSV)

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="T_BMK-')
    lines = read_csv(body(response))
    assert lines[0] == list(HEADER)
    numbers = sorted([confirmed.registration_number, accepted.registration_number])
    assert [r[0] for r in lines[1:]] == numbers
    assert all(len(r) == len(HEADER) for r in lines)
    by_number = {r[0]: dict(zip(HEADER, r, strict=True)) for r in lines[1:]}
    assert by_number[confirmed.registration_number]["XM"] == "李四"


def test_s9_the_province_downloads_what_reached_it(client, make, province_user, other_point):
    reached = make(stage=Stage.PROVINCE)
    elsewhere = make(stage=Stage.ACCEPTED, point=other_point)  # another city, same province
    make(stage=Stage.CITY)
    client.force_login(province_user)
    lines = read_csv(body(client.get(CSV)))
    expected = sorted([reached.registration_number, elsewhere.registration_number])
    assert sorted(r[0] for r in lines[1:]) == expected


def test_s9_a_csv_download_is_audited_with_format_filters_and_rows(codes, client, make, city_user):
    make(stage=Stage.CITY, subject_track="1")
    make(stage=Stage.CITY, subject_track="5")
    client.force_login(city_user)
    body(client.get(CSV, {"subject_track": "1"}))
    (event,) = exports()
    assert event.action == Action.CANDIDATES_EXPORTED and event.actor == city_user
    assert event.region == city_user.region
    assert event.detail == {
        "format": "csv",
        "filters": {"subject_track": "1", "stage": ""},
        "rows": 1,
    }


def test_s9_the_event_is_recorded_before_the_first_byte_is_sent(client, make, city_user):
    make(stage=Stage.CITY)
    client.force_login(city_user)
    response = client.get(CSV)
    # Nothing of the stream has been read yet: an interrupted download is on the trail too.
    assert [e.detail["rows"] for e in exports()] == [1]
    assert len(read_csv(body(response))) == 2


def test_s9_csv_cells_that_would_run_as_formulas_are_made_inert(client, make, city_user):
    make(stage=Stage.CITY, specialties='=HYPERLINK("http://evil.example","x")', awards="@SUM(1)")
    client.force_login(city_user)
    row = dict(zip(HEADER, read_csv(body(client.get(CSV)))[1], strict=True))
    assert row["KSTC"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["KSJLHCF"] == "'@SUM(1)"


def test_s9_the_filters_select_track_and_stage(codes, client, make, city_user):
    arts = make(stage=Stage.PROVINCE, subject_track="1")
    make(stage=Stage.CITY, subject_track="1")
    make(stage=Stage.PROVINCE, subject_track="5")
    client.force_login(city_user)
    lines = read_csv(body(client.get(CSV, {"subject_track": "1", "stage": "province"})))
    assert [r[0] for r in lines[1:]] == [arts.registration_number]


@pytest.mark.parametrize(
    "query",
    [
        {"stage": "point"},  # below what the city may export
        {"stage": "county"},
        {"stage": "x" * 5000},
        {"subject_track": "99"},
        {"subject_track": "1\x00"},
        {"subject_track": "1' OR '1'='1"},
    ],
)
def test_s9_bad_filters_are_refused_and_nothing_is_exported(codes, client, make, city_user, query):
    make(stage=Stage.CITY, subject_track="1")
    client.force_login(city_user)
    for url in DOWNLOADS:
        response = client.get(url, query)
        assert response.status_code == 400
        assert not response.streaming and "T_BMK" not in response.get("Content-Disposition", "")
        assert response.context["form"].errors
    assert exports() == []


# ── XLSX ───────────────────────────────────────────────────────────────────────────────


def test_s9_the_xlsx_holds_the_same_rows_as_the_csv(client, make, city_user):
    make(stage=Stage.CITY, registration_number="01020001", specialties="一\n二")
    make(stage=Stage.PROVINCE, registration_number="01020002", mobile="13900000000")
    client.force_login(city_user)

    response = client.get(XLSX)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet_rows = xlsx_rows(response)
    assert sheet_rows == read_csv(body(client.get(CSV)))
    assert sheet_rows[1][0] == "01020001"  # text, leading zero kept


def test_s9_xlsx_cells_are_text_never_formulas(client, make, city_user):
    make(stage=Stage.CITY, specialties="=1+1", awards="=cmd|' /C calc'!A0")
    client.force_login(city_user)
    workbook = load_workbook(io.BytesIO(body(client.get(XLSX))))
    sheet = workbook["T_BMK"]
    header = [c.value for c in sheet[1]]
    kstc = sheet.cell(row=2, column=header.index("KSTC") + 1)
    awards = sheet.cell(row=2, column=header.index("KSJLHCF") + 1)
    assert (kstc.value, kstc.data_type) == ("=1+1", "s")
    assert (awards.value, awards.data_type) == ("=cmd|' /C calc'!A0", "s")


def test_s9_an_xlsx_download_is_audited_with_its_exact_count(client, make, province_user):
    for _ in range(3):
        make(stage=Stage.ACCEPTED)
    client.force_login(province_user)
    body(client.get(XLSX, {"stage": "accepted"}))
    (event,) = exports()
    assert event.detail == {
        "format": "xlsx",
        "filters": {"subject_track": "", "stage": "accepted"},
        "rows": 3,
    }


# ── photos ─────────────────────────────────────────────────────────────────────────────


def test_s9_the_zip_holds_one_jpeg_per_candidate_with_a_photo(
    client, make, city_user, with_photo, portrait_jpeg
):
    first = make(stage=Stage.CITY)
    second = make(stage=Stage.PROVINCE)
    without = make(stage=Stage.CITY)
    not_confirmed = make(stage=Stage.COUNTY)
    with_photo(first)
    replaced = with_photo(second)
    retaken = images.encode(images.portrait(600, 800, seed=2), quality=90)
    current = with_photo(second, retaken)  # the second photo replaces the first
    with_photo(not_confirmed)
    client.force_login(city_user)

    response = client.get(PHOTOS)

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    assert archive.testzip() is None
    expected = sorted(f"{c.registration_number}.jpg" for c in (first, second))
    assert archive.namelist() == expected
    assert f"{without.registration_number}.jpg" not in archive.namelist()
    for info in archive.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        image = Image.open(io.BytesIO(archive.read(info)))
        assert (image.format, image.size) == ("JPEG", (480, 640))
    data = archive.read(f"{second.registration_number}.jpg")
    assert hashlib.sha256(data).hexdigest() == current.normalised_sha256
    assert current.normalised_sha256 != replaced.normalised_sha256

    (event,) = exports()
    assert event.action == Action.PHOTOS_EXPORTED
    assert event.detail == {
        "filters": {"subject_track": "", "stage": ""},
        "photos": 2,
        "without_photo": 1,
    }


def test_s9_a_missing_or_damaged_photo_file_is_named_in_the_archive(
    client, make, city_user, with_photo
):
    intact, gone, damaged = (make(stage=Stage.CITY) for _ in range(3))
    with_photo(intact)
    photo = with_photo(gone)
    photo.normalised.storage.delete(photo.normalised.name)
    photo = with_photo(damaged)
    with photo.normalised.storage.open(photo.normalised.name, "wb") as f:
        f.write(b"not the photo that was stored")
    client.force_login(city_user)

    archive = zipfile.ZipFile(io.BytesIO(body(client.get(PHOTOS))))

    assert archive.namelist() == [f"{intact.registration_number}.jpg", MISSING_PHOTOS_NAME]
    missing = archive.read(MISSING_PHOTOS_NAME).decode().split()
    assert missing == sorted(f"{c.registration_number}.jpg" for c in (gone, damaged))


def test_s9_the_photos_follow_the_filters(codes, client, make, city_user, with_photo):
    arts = make(stage=Stage.CITY, subject_track="1")
    with_photo(arts)
    with_photo(make(stage=Stage.CITY, subject_track="5"))
    client.force_login(city_user)
    archive = zipfile.ZipFile(io.BytesIO(body(client.get(PHOTOS, {"subject_track": "1"}))))
    assert archive.namelist() == [f"{arts.registration_number}.jpg"]


# ── the page ───────────────────────────────────────────────────────────────────────────


def test_s9_the_page_counts_what_can_be_exported(client, make, city_user, with_photo):
    with_photo(make(stage=Stage.CITY))
    make(stage=Stage.CITY)
    make(stage=Stage.ACCEPTED)
    make(stage=Stage.COUNTY)
    client.force_login(city_user)

    page = client.get(INDEX)

    assert page.status_code == 200
    summary = page.context["summary"]
    assert [n for _, n in summary["stages"]] == [2, 0, 1]
    assert (summary["selected"], summary["photos"]) == (3, 1)
    for url, testid in ((CSV, "csv"), (XLSX, "xlsx"), (PHOTOS, "photos-zip")):
        assert f'formaction="{url}" data-testid="{testid}"' in page.text
    assert all(f"<code>{name}</code>" in page.text for name in HEADER)
    filtered = client.get(INDEX, {"stage": "accepted"}).context["summary"]
    assert (filtered["selected"], filtered["photos"]) == (1, 0)
    assert exports() == []  # looking is not exporting


def test_s9_the_province_page_offers_only_its_stages(client, province_user):
    client.force_login(province_user)
    choices = [v for v, _ in client.get(INDEX).context["form"].fields["stage"].choices]
    assert choices == ["", Stage.PROVINCE, Stage.ACCEPTED]


def test_s9_exporting_changes_no_candidate(client, make, city_user, with_photo):
    candidate = make(stage=Stage.CITY)
    with_photo(candidate)
    before = Candidate.objects.values().get(pk=candidate.pk)
    photos_before = list(CandidatePhoto.objects.values())
    client.force_login(city_user)
    for url in DOWNLOADS:
        body(client.get(url))
    assert Candidate.objects.values().get(pk=candidate.pk) == before
    assert list(CandidatePhoto.objects.values()) == photos_before
