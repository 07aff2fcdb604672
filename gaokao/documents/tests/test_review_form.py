"""O1: for a migrant workers' child the point keys in the identity through the office web
and prints the eligibility review form (资格审核表), which the county reviews."""

import datetime
import io
import logging
import re

import pytest
from django.utils import translation
from pypdf import PdfReader

from gaokao.documents.review_form import (
    EligibilityReviewForm,
    documents_checked,
    render_eligibility_review_form,
)

NOTE = (
    "父亲李建国自2014年起在长沙市芙蓉区某建筑公司务工，持湖南省居住证，连续缴纳社会保险满三年；"
    "母亲在芙蓉区个体经营。考生2017年9月起在长沙市第一中学就读，具有连续三年学籍。"
)


def make_form(**fields) -> EligibilityReviewForm:
    values = {
        "registration_number": "43010001",
        "name": "李晓雯",
        "sex": "女",
        "birth_date": datetime.date(2002, 3, 14),
        "ethnicity": "汉族",
        "id_number": "41162520020314002X",
        "document_type": "居民身份证",
        "household_region": "河南省周口市郸城县",
        "point": "0102002 长沙市芙蓉区第一中学报名点",
        "county": "长沙市芙蓉区",
        "guardian_note": NOTE,
        "created_at": datetime.datetime(2026, 11, 20, 2, 5, tzinfo=datetime.UTC),
    }
    values.update(fields)
    return EligibilityReviewForm(**values)


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_o1_the_review_form_is_one_a4_page_with_the_candidates_data():
    form = make_form()
    pdf = render_eligibility_review_form(form)

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    assert reader.pages[0].mediabox.height == pytest.approx(841.89, abs=0.01)
    assert reader.metadata.subject == "43010001"
    [text] = pages(pdf)
    for value in (
        form.registration_number,
        form.name,
        form.sex,
        "2002-03-14",
        form.ethnicity,
        form.id_number,
        form.document_type,
        form.household_region,
        form.point,
        form.county,
    ):
        assert value in text
    assert squeezed(NOTE) in squeezed(text)
    assert "2026-11-20 10:05" in text, "created at, in Shanghai time"


def test_o1_documents_to_check_opinions_and_signatures_are_labelled():
    with translation.override("en"):
        pdf = render_eligibility_review_form(make_form())
        items = documents_checked()
    [text] = pages(pdf)
    text = squeezed(text)
    assert squeezed("Parents' residence permit") in text
    assert all(squeezed(item) in text for item in items)
    assert len(items) >= 3
    for label in (
        "Eligibility review form for migrant workers' children",
        "Opinion of the registration point",
        "Review of the county's admissions office",
        "Handled by (signature)",
        "Reviewed by (signature)",
        "(Seal)",
        "Approved",
        "Rejected",
        "Date",
    ):
        assert squeezed(label) in text


def test_o1_the_boxes_to_tick_are_drawn_blank():
    with translation.override("en"):
        pdf = render_eligibility_review_form(make_form())
        boxes = len(documents_checked()) + 1 + 2  # "Other:", approved, rejected
    content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data()
    # The checkboxes are the squares of 3.4 mm (9.6378 points) among the stroked rectangles.
    assert len(re.findall(rb" 9\.63779\d* 9\.63779\d* re", content)) == boxes


def test_o1_a_birth_date_as_text_prints_as_given():
    [text] = pages(render_eligibility_review_form(make_form(birth_date="2002年3月")))
    assert "2002年3月" in text


def test_o1_a_long_note_shrinks_and_is_cut_short_within_its_cell():
    pdf = render_eligibility_review_form(make_form(guardian_note=NOTE * 12))
    [text] = pages(pdf)
    assert len(pages(pdf)) == 1
    assert "…" in text
    assert "长沙市芙蓉区" in text


def test_o1_every_font_is_embedded_and_pdftotext_reads_the_chinese(poppler):
    pdf = render_eligibility_review_form(make_form())

    rows = poppler("pdffonts", pdf).splitlines()[2:]
    fonts = [(row.split()[0], row.split()[-5]) for row in rows]
    assert fonts and all(embedded == "yes" for _, embedded in fonts), rows
    assert all(re.fullmatch(r"[A-Z]{6}\+NotoSansSC(-Regular|-Bold)", n) for n, _ in fonts)
    text = poppler("pdftotext", pdf, "-layout")
    assert "李晓雯" in text
    assert "河南省周口市郸城县" in text


def test_o1_a_rare_name_character_prints_as_a_geta_mark(caplog, poppler):
    with caplog.at_level(logging.WARNING, logger="gaokao.documents.review_form"):
        pdf = render_eligibility_review_form(make_form(name="李𠮷祥"))
    assert "𠮷" in caplog.text and "43010001" in caplog.text
    assert "李〓祥" in pages(pdf)[0]
    assert "李〓祥" in poppler("pdftotext", pdf)


def test_o1_fields_not_yet_known_print_as_blank_cells_to_fill_in_by_hand():
    pdf = render_eligibility_review_form(make_form(household_region="", guardian_note=""))
    [text] = pages(pdf)
    assert len(pages(pdf)) == 1
    assert "李晓雯" in text and NOTE[:10] not in text
