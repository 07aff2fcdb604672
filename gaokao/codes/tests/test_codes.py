"""Code tables are data the province edits (E2); validation reads them."""

import pytest
from django.core.exceptions import ValidationError

from gaokao.codes.models import Code, Table, validate_code
from gaokao.presets.services import load_preset

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def hunan():
    load_preset("hunan-2020")


def test_e2_validation_accepts_codes_of_the_table():
    validate_code(Table.ETHNICITY, "15")  # 土家族
    validate_code(Table.FOREIGN_LANGUAGE, "0")  # 无


def test_e2_validation_refuses_unknown_codes_and_codes_of_another_table():
    with pytest.raises(ValidationError) as excinfo:
        validate_code(Table.ETHNICITY, "99")
    assert excinfo.value.code == "invalid_code"
    with pytest.raises(ValidationError):
        validate_code(Table.SEX, "15")


def test_e2_a_code_the_province_retires_is_refused_for_new_input():
    Code.objects.filter(table=Table.SUBJECT_TRACK, code="9").update(is_active=False)
    with pytest.raises(ValidationError):
        validate_code(Table.SUBJECT_TRACK, "9")
    assert ("9", "对口") not in Code.objects.choices(Table.SUBJECT_TRACK)


def test_e2_a_code_the_province_adds_is_accepted_at_once():
    Code.objects.create(table=Table.SUBJECT_TRACK, code="2", name="综合改革", sort_order=90)
    validate_code(Table.SUBJECT_TRACK, "2")
    assert Code.objects.choices(Table.SUBJECT_TRACK)[-1] == ("2", "综合改革")
