"""S10 pages: the import page (check, then confirm the same file) and a candidate's
imported data; who may use them, and that another region's staff get nothing."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.results import services
from gaokao.results.models import PendingImport, PhysicalExam, PolicyBonus
from gaokao.results.tests.conftest import BONUS, PHYSICAL, csv_file, physical_row

pytestmark = pytest.mark.django_db

IMPORTS = reverse("results:imports")
CONFIRM = reverse("results:confirm")


def upload(client, kind, data, name="results.csv"):
    return client.post(IMPORTS, {"kind": kind, "file": SimpleUploadedFile(name, data)})


def confirm_data(response) -> dict:
    form = response.context["confirm_form"]
    return {"upload": form.initial["upload"], "sha256": form.initial["sha256"]}


@pytest.fixture
def physical_file(candidates):
    return csv_file(PHYSICAL, [physical_row(c) for c in candidates])


def test_s10_city_checks_a_file_then_imports_exactly_that_file(
    client, city_user, candidates, physical_file
):
    client.force_login(city_user)
    page = client.get(IMPORTS)
    assert page.status_code == 200
    assert "体检结论" in page.text and reverse("results:template", args=["bonus"]) in page.text

    checked = upload(client, "physical", physical_file)
    assert checked.status_code == 200
    report = checked.context["report"]
    assert report.ok and [r.line for r in report.rows] == [2, 3, 4]
    assert all(c.registration_number in checked.text for c in candidates)
    assert not PhysicalExam.objects.exists()

    done = client.post(CONFIRM, confirm_data(checked))
    assert done.status_code == 302 and done.url == IMPORTS
    assert PhysicalExam.objects.count() == 3
    assert not PendingImport.objects.exists()  # the held file is gone once imported
    assert AuditEvent.objects.filter(action=Action.RESULTS_IMPORTED, actor=city_user).count() == 4
    assert client.post(CONFIRM, confirm_data(checked)).status_code == 404  # nothing to redo


def test_s10_a_report_with_problems_lists_every_row_and_offers_no_import(
    client, city_user, candidates
):
    rows = [physical_row(c) for c in candidates]
    rows[1] = physical_row(candidates[1], 体检结论="良好")
    client.force_login(city_user)
    checked = upload(client, "physical", csv_file(PHYSICAL, rows))
    assert checked.context["confirm_form"] is None
    assert [bool(r.problems) for r in checked.context["report"].rows] == [False, True, False]
    assert "良好" in checked.text and CONFIRM not in checked.text
    assert not PendingImport.objects.exists()


def test_s10_an_unreadable_file_is_said_so(client, city_user, candidates):
    client.force_login(city_user)
    checked = upload(client, "physical", b"MZ\x90\x00", "results.exe")
    assert checked.context["report"].file_error
    assert 'data-testid="file-error"' in checked.text


def test_s10_the_report_escapes_what_the_file_holds(client, city_user, candidates):
    row = physical_row(candidates[0], 报名号="<script>alert(1)</script>")
    client.force_login(city_user)
    checked = upload(client, "physical", csv_file(PHYSICAL, [row]))
    assert "<script>alert(1)" not in checked.text
    assert "&lt;script&gt;alert(1)" in checked.text


def test_s10_only_the_uploader_confirms_and_only_the_file_checked(
    client, city_user, province_user, other_city_user, candidates, physical_file
):
    client.force_login(city_user)
    held = confirm_data(upload(client, "physical", physical_file))
    for user in (other_city_user, province_user):
        client.force_login(user)
        assert client.post(CONFIRM, held).status_code == 404
    client.force_login(city_user)
    tampered = held | {"sha256": "0" * 64}
    refused = client.post(CONFIRM, tampered, follow=True)
    assert "not the file you checked" in refused.text
    assert client.post(CONFIRM, held | {"sha256": "<x>"}).status_code == 404
    assert not PhysicalExam.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.RESULTS_IMPORTED).exists()


def test_s10_a_check_left_waiting_too_long_must_be_repeated(
    client, city_user, candidates, physical_file
):
    client.force_login(city_user)
    held = confirm_data(upload(client, "physical", physical_file))
    later = dt.datetime(2020, 5, 10, 10, 0, tzinfo=dt.UTC) + dt.timedelta(
        hours=services.KEEP_HOURS + 8, minutes=1
    )
    with time_machine.travel(later):
        client.force_login(city_user)
        refused = client.post(CONFIRM, held, follow=True)
    assert "Upload the file again" in refused.text
    assert not PhysicalExam.objects.exists() and not PendingImport.objects.exists()


def test_s10_the_confirmation_checks_again_and_refuses_a_stale_check(
    client, city_user, candidates, physical_file
):
    client.force_login(city_user)
    held = confirm_data(upload(client, "physical", physical_file))
    moved = candidates[1]
    moved.id_number = "11010519491231002X"  # corrected at the point since the check
    moved.save()
    answer = client.post(CONFIRM, held)
    assert answer.status_code == 200
    assert "Nothing was imported" in answer.text
    assert [bool(r.problems) for r in answer.context["report"].rows] == [False, True, False]
    assert not PhysicalExam.objects.exists()
    assert PendingImport.objects.exists()


def test_s10_another_citys_user_is_told_of_rows_outside_their_city(
    client, other_city_user, candidates, physical_file
):
    client.force_login(other_city_user)
    checked = upload(client, "physical", physical_file)
    assert checked.context["confirm_form"] is None
    assert all(r.problems for r in checked.context["report"].rows)
    assert all(c.name not in checked.text for c in candidates)
    assert not PhysicalExam.objects.exists()


@pytest.mark.parametrize("who", ["county_user", "point_user", "other_county_user"])
def test_s10_counties_and_points_may_not_import(client, request, who, physical_file):
    client.force_login(request.getfixturevalue(who))
    assert client.get(IMPORTS).status_code == 403
    assert upload(client, "physical", physical_file).status_code == 403
    assert client.post(CONFIRM, {"upload": 1, "sha256": "0" * 64}).status_code == 403
    assert client.get(reverse("results:template", args=["physical"])).status_code == 403
    assert not PhysicalExam.objects.exists()


def test_s10_a_kind_the_form_does_not_offer_is_refused(client, city_user, physical_file):
    client.force_login(city_user)
    answer = upload(client, "grades", physical_file)
    assert answer.context["form"].errors["kind"] and answer.context["report"] is None


def test_s10_the_empty_templates_carry_the_header_excel_reads(client, city_user):
    client.force_login(city_user)
    answer = client.get(reverse("results:template", args=["bonus"]))
    assert answer["Content-Type"].startswith("text/csv")
    assert answer.content.decode("utf-8-sig").strip() == ",".join(BONUS)
    assert client.get(reverse("results:template", args=["grades"])).status_code == 404


# ── a candidate's imported data ────────────────────────────────────────────────────────


@pytest.fixture
def imported(city_user, candidates):
    c = candidates[0]
    rows = [physical_row(c, 体检结论="受限", 受限说明="<b>色觉</b>异常")]
    services.run_import("physical", csv_file(PHYSICAL, rows), "p.csv", by=city_user, dry_run=False)
    bonus = [[c.registration_number, "", "加分", "5", "湘教发〔2019〕30号", "<script>x()</script>"]]
    services.run_import("bonus", csv_file(BONUS, bonus), "b.csv", by=city_user, dry_run=False)
    assert PolicyBonus.objects.exists()
    return c


@pytest.mark.parametrize("who", ["county_user", "city_user", "province_user"])
def test_s10_offices_of_the_candidates_region_see_its_imported_data(client, request, who, imported):
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse("results:candidate", args=[imported.pk]))
    assert page.status_code == 200
    assert page.context["physical_exam"] == imported.physical_exam
    assert "湘教发〔2019〕30号" in page.text
    # What the files held is shown as text, never as markup.
    assert "<script>x()" not in page.text and "&lt;script&gt;x()&lt;/script&gt;" in page.text
    assert "<b>色觉</b>" not in page.text and "&lt;b&gt;色觉&lt;/b&gt;异常" in page.text


@pytest.mark.parametrize("who", ["other_county_user", "other_city_user"])
def test_s10_another_regions_staff_get_404_for_the_candidate(client, request, who, imported):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("results:candidate", args=[imported.pk])).status_code == 404
    missing = reverse("results:candidate", args=["00000000-0000-4000-8000-000000000000"])
    assert client.get(missing).status_code == 404


def test_s10_points_do_not_see_imported_health_data(client, point_user, imported):
    client.force_login(point_user)
    assert client.get(reverse("results:candidate", args=[imported.pk])).status_code == 403


def test_s10_a_candidate_without_imports_shows_so(client, county_user, candidates):
    client.force_login(county_user)
    page = client.get(reverse("results:candidate", args=[candidates[2].pk]))
    assert page.status_code == 200 and page.context["physical_exam"] is None
    assert page.context["proficiency_results"] == [] and page.context["policy_bonuses"] == []
