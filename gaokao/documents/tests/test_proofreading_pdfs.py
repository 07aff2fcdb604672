"""S7: the proofreading sheet (校对表) and the registration form (报名登记表), one A4 page
per candidate, a batch in one PDF, read back as a reader would."""

import io
import re

import pytest
from django.utils import translation
from pypdf import PdfReader

from gaokao.candidates.models import FamilyMember, ResumeEntry
from gaokao.documents.proofreading import collect, proofreading_sheet, registration_form
from gaokao.photos.services import add_photo
from gaokao.photos.tests import images
from gaokao.testing.factories import CandidateFactory, CategoryFactory, SeasonFactory

pytestmark = pytest.mark.django_db

LONG = "擅长长跑与书法，曾获市级青少年书法比赛二等奖。" * 20  # 500 characters


@pytest.fixture
def season(db):
    return SeasonFactory()


@pytest.fixture
def candidate(codes, season, point):
    c = CandidateFactory(
        season=season,
        point=point,
        name="欧阳晓雯",
        subject_track="5",
        political_status="03",
        foreign_language="1",
        mobile="13812345678",
        specialties="长跑\n书法",
    )
    ResumeEntry.objects.create(
        candidate=c, start="2014-09", end="2017-06", school_or_employer="长沙市第一中学初中部"
    )
    FamilyMember.objects.create(candidate=c, name="欧阳建国", relation="父亲", phone="13900000000")
    return c


def pages(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def images_on(pdf: bytes) -> list[int]:
    return [len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("render", [proofreading_sheet, registration_form])
def test_s7_one_page_shows_the_candidates_data_with_code_names(render, candidate):
    pdf = render([candidate])
    [text] = pages(pdf)
    assert candidate.name in text
    assert candidate.registration_number in text
    assert candidate.id_number in text
    assert "理工" in text, "the subject track by its name"
    assert "共青团员" in text, "the political status by its name"
    assert "英语" in text
    assert "13812345678" in text
    assert "长沙市第一中学初中部" in text and "欧阳建国" in text, "résumé and family"
    assert PdfReader(io.BytesIO(pdf)).pages[0].mediabox.height == pytest.approx(841.89, abs=0.01)


def test_s7_sheet_has_point_checks_professional_exams_and_a_signature_line(candidate):
    CategoryFactory(season=candidate.season, name="美术与设计").registrations.create(
        candidate=candidate, main_item="素描", exam_phone="13812345678"
    )
    candidate.fee_fen, candidate.fee_receipt = 12000, "R-2019-0001"
    candidate.save()
    with translation.override("en"):
        [text] = pages(proofreading_sheet([candidate]))
    assert "120.00" in text and "R-2019-0001" in text
    assert "美术与设计" in text and "素描" in text
    assert "Candidate'ssignature" in text and "Checkedby(pointstaff)" in text


@pytest.mark.parametrize("render", [proofreading_sheet, registration_form])
def test_s7_a_batch_of_three_is_three_pages_in_the_order_given(render, codes, season, point):
    batch = [CandidateFactory(season=season, point=point) for _ in range(3)]
    texts = pages(render([batch[2], batch[0], batch[1]]))
    assert len(texts) == 3
    for text, c in zip(texts, [batch[2], batch[0], batch[1]], strict=True):
        assert c.name in text and c.registration_number in text


@pytest.mark.parametrize("render", [proofreading_sheet, registration_form])
def test_s7_a_full_record_still_fits_one_page(render, candidate):
    """Twelve résumé rows, twelve family members, 500 characters of specialties and of
    awards: shrunk onto the page, nothing cut."""
    for n in range(11):
        ResumeEntry.objects.create(
            candidate=candidate, start=f"20{n:02d}-09", school_or_employer=f"学校{n}号" * 6
        )
        FamilyMember.objects.create(candidate=candidate, name=f"亲属{n}", relation="其他")
    candidate.specialties = candidate.awards = LONG
    candidate.save()
    [text] = pages(render([candidate]))
    assert "亲属10" in text and "学校10号" in text
    assert text.count("二等奖") >= 40, "both long texts in full"


def test_s7_registration_form_embeds_the_current_photo(candidate, point_user):
    assert images_on(registration_form([candidate])) == [0], "no photo yet: an empty box"
    add_photo(candidate, images.encode(images.portrait(600, 800)), source="camera", by=point_user)
    other = CandidateFactory(season=candidate.season, point=candidate.point)
    assert images_on(registration_form([candidate, other])) == [1, 0]
    assert images_on(proofreading_sheet([candidate])) == [0]


def test_s7_a_missing_photo_file_prints_the_form_without_it(candidate, point_user):
    data = images.encode(images.portrait(600, 800))
    photo = add_photo(candidate, data, source="camera", by=point_user)
    photo.normalised.storage.delete(photo.normalised.name)
    assert images_on(registration_form([candidate])) == [0]


def test_s7_hostile_text_is_printed_as_text(candidate):
    candidate.awards = "<b>粗体</b> & <font size=40>大</font>\x1b[31m"
    candidate.save()
    [text] = pages(proofreading_sheet([candidate]))
    assert "<b>粗体</b>&<fontsize=40>大</font>" in text


def test_s7_collect_reads_a_batch_with_a_fixed_number_of_queries(
    codes, season, point, django_assert_max_num_queries
):
    batch = [CandidateFactory(season=season, point=point) for _ in range(20)]
    with django_assert_max_num_queries(10):
        records = collect(batch, photos=True)
    assert [r.registration_number for r in records] == [c.registration_number for c in batch]
