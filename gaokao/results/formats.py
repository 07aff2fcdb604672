"""The three files of S10 and what their columns mean: the one place that says which
header fills which field and how a cell is read (gaokao.results.cells).

Columns (Chinese headers; * = required column; columns not listed are ignored and named in
the report; an optional column left out of the file leaves that field of an existing record
as it is, while an empty cell clears it):

Common to every file
    报名号*     the 8-digit registration number (Excel's lost leading zero is restored)
    身份证号    optional cross-check: when filled, must be the candidate's document number

体检 physical exam — one row per candidate
    体检日期*   2019-11-20 (also 2019/11/20, 20191120, 2019年11月20日)
    身高        cm, 100.0–250.0          体重        kg, 20.0–250.0
    左眼视力    five-point notation 3.0–5.3 (e.g. 4.8)      右眼视力   the same
    色觉        正常 / 色弱 / 色盲
    体检结论*   合格 / 受限 / 不合格
    受限说明    what is restricted, up to 200 characters; required when the conclusion is 受限

学业水平考试 proficiency results — one row per candidate and subject
    科目*       语文 数学 英语 思想政治 历史 地理 物理 化学 生物 信息技术 通用技术 体育与健康
                音乐 美术
    等级*       A B C D E, or 合格 / 不合格
    考试时间*   the exam session's month: 2019-06 (also 2019年6月)

照顾/加分 policy bonuses — one row per candidate and kind
    类别*       加分 (added to the score) / 照顾 (admission with a lower score)
    分值*       whole points 0–20 (only the highest ground of each kind counts)
    依据*       the legal basis (policy document and clause), up to 200 characters
    备注        up to 200 characters
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gaokao.results import cells
from gaokao.results.models import (
    MAX_BONUS_POINTS,
    BonusKind,
    ColourVision,
    Conclusion,
    Grade,
    PhysicalExam,
    PolicyBonus,
    ProficiencyResult,
    Subject,
)
from gaokao.seasons.models import Season

PHYSICAL, PROFICIENCY, BONUS = "physical", "proficiency", "bonus"
REGISTRATION_NUMBER, ID_NUMBER = "报名号", "身份证号"


# ── the kinds of file ──────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Column:
    header: str
    field: str  # the model field it fills
    read: Callable[[str], Any]
    meaning: str | Promise
    required: bool = False  # the column must be in the file (its cells may still be optional)
    example: str = ""


@dataclass(frozen=True)
class Kind:
    code: str
    label: str | Promise
    model: type[models.Model]
    columns: Callable[[Season], tuple[Column, ...]]  # date limits depend on the season
    key: tuple[str, ...] = ()  # fields that tell a candidate's records of this kind apart
    check: Callable[[dict[str, Any]], list[str]] = lambda values: []

    def column_list(self, season: Season | None = None) -> tuple[Column, ...]:
        return self.columns(season)


def _in_force(season: Season | None) -> tuple[dt.date, dt.date]:
    """Dates an imported result may carry: from three years before the exam up to today."""
    today = timezone.localdate()
    year = season.year if season is not None else today.year
    return dt.date(year - 3, 1, 1), today


def _physical_columns(season: Season | None) -> tuple[Column, ...]:
    earliest, latest = _in_force(season)
    eyesight = cells.decimal(Decimal("3.0"), Decimal("5.3"))
    return (
        Column(
            "体检日期",
            "exam_date",
            cells.date(earliest, latest),
            gettext_lazy("Date of the exam, e.g. 2019-11-20."),
            required=True,
            example="2019-11-20",
        ),
        Column(
            "身高",
            "height_cm",
            cells.decimal(Decimal("100"), Decimal("250")),
            gettext_lazy("Height in cm, 100–250, one decimal at most."),
            example="172.5",
        ),
        Column(
            "体重",
            "weight_kg",
            cells.decimal(Decimal("20"), Decimal("250")),
            gettext_lazy("Weight in kg, 20–250, one decimal at most."),
            example="61",
        ),
        Column(
            "左眼视力",
            "vision_left",
            eyesight,
            gettext_lazy("Eyesight of the left eye in five-point notation, 3.0–5.3."),
            example="4.8",
        ),
        Column(
            "右眼视力",
            "vision_right",
            eyesight,
            gettext_lazy("Eyesight of the right eye in five-point notation, 3.0–5.3."),
            example="5.0",
        ),
        Column(
            "色觉",
            "colour_vision",
            cells.choice(COLOUR_WORDS, required=False),
            gettext_lazy("正常, 色弱 or 色盲; may be empty."),
            example="正常",
        ),
        Column(
            "体检结论",
            "conclusion",
            cells.choice(CONCLUSION_WORDS),
            gettext_lazy("合格, 受限 or 不合格."),
            required=True,
            example="合格",
        ),
        Column(
            "受限说明",
            "restrictions",
            cells.text(200),
            gettext_lazy("What is restricted; required when the conclusion is 受限."),
            example="",
        ),
    )


def _physical_check(values: dict[str, Any]) -> list[str]:
    if values.get("conclusion") == Conclusion.RESTRICTED and not values.get("restrictions"):
        return [_("受限说明: required when the conclusion is 受限")]
    return []


def _proficiency_columns(season: Season | None) -> tuple[Column, ...]:
    earliest, latest = _in_force(season)
    return (
        Column(
            "科目",
            "subject",
            cells.choice(SUBJECT_WORDS),
            gettext_lazy("The subject's Chinese name: %(subjects)s.")
            % {"subjects": "、".join(SUBJECT_WORDS)},
            required=True,
            example="数学",
        ),
        Column(
            "等级",
            "grade",
            cells.choice(GRADE_WORDS),
            gettext_lazy("A, B, C, D or E, or 合格 / 不合格."),
            required=True,
            example="A",
        ),
        Column(
            "考试时间",
            "session",
            cells.month(earliest, latest),
            gettext_lazy("The exam session's month, e.g. 2019-06."),
            required=True,
            example="2019-06",
        ),
    )


def _bonus_columns(season: Season | None) -> tuple[Column, ...]:
    return (
        Column(
            "类别",
            "kind",
            cells.choice(BONUS_WORDS),
            gettext_lazy("加分 (added to the score) or 照顾 (admission with a lower score)."),
            required=True,
            example="加分",
        ),
        Column(
            "分值",
            "points",
            cells.integer(0, MAX_BONUS_POINTS),
            gettext_lazy("Whole points, 0–20."),
            required=True,
            example="5",
        ),
        Column(
            "依据",
            "legal_basis",
            cells.text(200, required=True),
            gettext_lazy("The legal basis: policy document and clause, up to 200 characters."),
            required=True,
            example="湘教发〔2019〕30号 第二条",
        ),
        Column(
            "备注",
            "note",
            cells.text(200),
            gettext_lazy("A note, up to 200 characters; may be empty."),
        ),
    )


# The words of the files, which do not change with the interface language.
COLOUR_WORDS = {"正常": ColourVision.NORMAL, "色弱": ColourVision.WEAK, "色盲": ColourVision.BLIND}
CONCLUSION_WORDS = {
    "合格": Conclusion.FIT,
    "受限": Conclusion.RESTRICTED,
    "不合格": Conclusion.UNFIT,
}
SUBJECT_WORDS = {
    "语文": Subject.CHINESE,
    "数学": Subject.MATHEMATICS,
    "英语": Subject.ENGLISH,
    "思想政治": Subject.POLITICS,
    "历史": Subject.HISTORY,
    "地理": Subject.GEOGRAPHY,
    "物理": Subject.PHYSICS,
    "化学": Subject.CHEMISTRY,
    "生物": Subject.BIOLOGY,
    "信息技术": Subject.INFORMATION_TECHNOLOGY,
    "通用技术": Subject.GENERAL_TECHNOLOGY,
    "体育与健康": Subject.PHYSICAL_EDUCATION,
    "音乐": Subject.MUSIC,
    "美术": Subject.FINE_ARTS,
}
GRADE_WORDS = {
    "A": Grade.A,
    "B": Grade.B,
    "C": Grade.C,
    "D": Grade.D,
    "E": Grade.E,
    "合格": Grade.PASS,
    "不合格": Grade.FAIL,
}
BONUS_WORDS = {"加分": BonusKind.BONUS, "照顾": BonusKind.PREFERENCE}

KINDS = {
    PHYSICAL: Kind(
        PHYSICAL,
        gettext_lazy("Physical exams"),
        PhysicalExam,
        _physical_columns,
        check=_physical_check,
    ),
    PROFICIENCY: Kind(
        PROFICIENCY,
        gettext_lazy("Academic proficiency results"),
        ProficiencyResult,
        _proficiency_columns,
        key=("subject",),
    ),
    BONUS: Kind(BONUS, gettext_lazy("Policy bonuses"), PolicyBonus, _bonus_columns, key=("kind",)),
}


def _as_is(value: str) -> str:
    return value


def common_columns() -> tuple[Column, ...]:
    """The columns every file has, which say whose row it is (read by the engine)."""
    return (
        Column(
            REGISTRATION_NUMBER,
            "",
            _as_is,
            _("The candidate's 8-digit registration number."),
            required=True,
            example="01100001",
        ),
        Column(
            ID_NUMBER,
            "",
            _as_is,
            _("Optional check: when filled, it must be the candidate's document number."),
            example="430102200203150011",
        ),
    )


def documented_columns(kind: Kind) -> tuple[Column, ...]:
    return (*common_columns(), *kind.column_list())


def headers(kind: Kind) -> list[str]:
    return [c.header for c in documented_columns(kind)]


def template_csv(kind: Kind) -> bytes:
    """The empty file to fill in: the header row, UTF-8 with the BOM Excel looks for."""
    out = io.StringIO()
    csv.writer(out).writerow(headers(kind))
    return out.getvalue().encode("utf-8-sig")
