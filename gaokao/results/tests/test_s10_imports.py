"""S10: physical exams, proficiency results and policy bonuses imported from CSV/XLSX.
A dry run reports every row; an import writes all rows or none; the same file twice changes
nothing; every change is audited; jurisdiction decides whose rows a user may import."""

import datetime as dt
from decimal import Decimal

import pytest

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Stage
from gaokao.results import services
from gaokao.results.models import (
    BonusKind,
    ColourVision,
    Conclusion,
    Grade,
    PhysicalExam,
    PolicyBonus,
    ProficiencyResult,
    Subject,
)
from gaokao.results.services import ImportRefused
from gaokao.results.tests.conftest import (
    BONUS,
    PHYSICAL,
    PROFICIENCY,
    csv_file,
    physical_row,
    xlsx_file,
)
from gaokao.seasons import NoCurrentSeason
from gaokao.seasons.models import Season

pytestmark = pytest.mark.django_db


def run(kind, data, user, filename="results.csv", dry_run=False):
    return services.run_import(kind, data, filename, by=user, dry_run=dry_run)


def events():
    return AuditEvent.objects.filter(action=Action.RESULTS_IMPORTED)


def problems(report) -> dict[int, str]:
    return {r.line: " | ".join(r.problems) for r in report.rows if r.problems}


# ── a good file of each kind ───────────────────────────────────────────────────────────


def test_s10_physical_exams_import_from_csv_after_a_dry_run(city_user, candidates, county):
    data = csv_file(PHYSICAL, [physical_row(c) for c in candidates])
    dry = run("physical", data, city_user, dry_run=True)
    assert dry.ok and not dry.saved
    assert [r.action for r in dry.rows] == ["create"] * 3
    assert not PhysicalExam.objects.exists() and not events().exists()

    report = run("physical", data, city_user)
    assert report.saved and report.counts["create"] == 3
    exam = PhysicalExam.objects.get(candidate=candidates[0])
    assert exam.exam_date == dt.date(2020, 4, 15)
    assert (exam.height_cm, exam.weight_kg) == (Decimal("172.5"), Decimal("61"))
    assert (exam.vision_left, exam.vision_right) == (Decimal("4.8"), Decimal("5.0"))
    assert exam.colour_vision == ColourVision.NORMAL and exam.conclusion == Conclusion.FIT
    assert exam.imported_by == city_user and exam.source_sha256 == report.sha256
    summary = events().get(target="results.csv")
    assert summary.detail["kind"] == "physical" and summary.detail["sha256"] == report.sha256
    assert (summary.detail["created"], summary.detail["updated"]) == (3, 0)
    assert summary.region == city_user.region
    per_candidate = events().exclude(pk=summary.pk)
    assert per_candidate.count() == 3
    assert {e.region for e in per_candidate} == {county}  # the county sees them, not the point
    one = per_candidate.get(target=str(candidates[0]))
    assert one.detail["rows"][0]["changes"]["conclusion"] == ["", "fit"]


def test_s10_proficiency_results_import_from_xlsx(city_user, candidates):
    first, second = candidates[:2]
    first.registration_number = "0" + first.registration_number[1:]
    first.save()
    rows = [
        # A spreadsheet keeps a registration number as a number: the leading 0 is gone.
        [int(first.registration_number), first.id_number, "数学", "a", "2019-06"],
        [first.registration_number, "", "体育与健康", "合格", dt.datetime(2019, 6, 1)],
        [second.registration_number, second.id_number.lower(), "英语", "Ｂ", "2018年12月"],
    ]
    assert first.registration_number.startswith("0")
    report = run("proficiency", xlsx_file(PROFICIENCY, rows), city_user, "学考.xlsx")
    assert report.saved, problems(report)
    results = {
        (r.candidate_id, r.subject): (r.grade, r.session) for r in ProficiencyResult.objects.all()
    }
    assert results == {
        (first.pk, Subject.MATHEMATICS): (Grade.A, "2019-06"),
        (first.pk, Subject.PHYSICAL_EDUCATION): (Grade.PASS, "2019-06"),
        (second.pk, Subject.ENGLISH): (Grade.B, "2018-12"),
    }
    assert all(r.what for r in report.rows)  # the subject, named in the report


def test_s10_policy_bonuses_import_from_gbk_csv(province_user, candidates):
    c = candidates[0]
    rows = [
        [c.registration_number, c.id_number, "加分", "5", "湘教发〔2019〕30号 第二条", ""],
        [c.registration_number, "", "照顾", "10.0", "湘教发〔2019〕30号 第四条", "烈士子女"],
    ]
    data = csv_file(BONUS, rows, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = run("bonus", data, province_user)
    assert report.saved, problems(report)
    bonuses = {b.kind: (b.points, b.legal_basis, b.note) for b in c.policy_bonuses.all()}
    assert bonuses == {
        BonusKind.BONUS: (5, "湘教发〔2019〕30号 第二条", ""),
        BonusKind.PREFERENCE: (10, "湘教发〔2019〕30号 第四条", "烈士子女"),
    }


# ── problems ───────────────────────────────────────────────────────────────────────────

NO_CANDIDATE = "no candidate of this season in your jurisdiction"


def test_s10_every_physical_exam_problem_is_reported_with_its_line(city_user, candidates, stranger):
    a, b, c = candidates
    rows = [
        physical_row(a),  # 2: fine
        physical_row(a, 报名号="99999999"),  # 3: nobody has this number
        physical_row(stranger),  # 4: a candidate of another city
        physical_row(b, 身份证号="110105194912310021"),  # 5: someone else's ID number
        physical_row(b, 身高="300", 左眼视力="1.0", 色觉="红绿", 体检结论="良好"),  # 6
        physical_row(a, 体检日期="2020-05-11"),  # 7: a's second row (and in the future)
        physical_row(c, 体检结论="受限", 受限说明=""),  # 8: restricted without saying what
        physical_row(c, 报名号="ABC", 体检日期="2020-13-01", 体重="60.25"),  # 9
    ]
    report = run("physical", csv_file(PHYSICAL, rows), city_user)
    found = problems(report)
    assert sorted(found) == [3, 4, 5, 6, 7, 8, 9]
    assert NO_CANDIDATE in found[3] and NO_CANDIDATE in found[4]
    assert stranger.id_number not in found[4] and stranger.name not in found[4]
    assert "身份证号" in found[5] and b.id_number not in found[5]
    for column in ("身高", "左眼视力", "色觉", "体检结论"):
        assert column in found[6]
    assert "红绿" in found[6] and "300" in found[6]
    assert "line 2" in found[7] and "体检日期" in found[7]
    assert "受限说明" in found[8]
    assert "报名号" in found[9] and "体检日期" in found[9] and "体重" in found[9]
    assert report.rows[0].action == "create"
    assert not report.saved
    assert not PhysicalExam.objects.exists() and not events().exists()


def test_s10_every_proficiency_problem_is_reported_with_its_line(city_user, candidates):
    a, b, _c = candidates
    n = a.registration_number
    rows = [
        [n, "", "数学", "A", "2019-06"],  # 2
        [n, "", "语文", "A", "2019-06"],  # 3: another subject of the same candidate is fine
        [n, "", "数学", "B", "2019-12"],  # 4: 数学 again
        [n, "", "体育", "A", "2019-06"],  # 5: not a subject
        [b.registration_number, "", "物理", "F", "2019-06"],  # 6: not a grade
        [b.registration_number, "", "化学", "A", "2019-13"],  # 7: not a month
        [b.registration_number, "", "生物", "A", "2021-01"],  # 8: a session to come
        [b.registration_number, "", "", "", ""],  # 9: nothing
    ]
    found = problems(run("proficiency", csv_file(PROFICIENCY, rows), city_user))
    assert sorted(found) == [4, 5, 6, 7, 8, 9]
    assert "line 2" in found[4]
    assert "科目" in found[5] and "体育" in found[5]
    assert "等级" in found[6] and "考试时间" in found[7] and "考试时间" in found[8]
    assert all(column in found[9] for column in ("科目", "等级", "考试时间"))
    assert not ProficiencyResult.objects.exists()


def test_s10_every_bonus_problem_is_reported_with_its_line(city_user, candidates):
    a, b, c = candidates
    basis = "湘教发〔2019〕30号"
    rows = [
        [a.registration_number, "", "加分", "21", basis, ""],  # 2: above 20
        [a.registration_number, "", "照顾", "5.5", basis, ""],  # 3: not whole
        [b.registration_number, "", "奖励", "5", basis, ""],  # 4: not a kind
        [b.registration_number, "", "加分", "5", "", ""],  # 5: no legal basis
        [c.registration_number, "", "加分", "5", '=HYPERLINK("http://evil.example","点我")', ""],
        [c.registration_number, "", "照顾", "5", basis, "x" * 201],  # 7: overlong
        [a.registration_number, "", "加分", "5", "依据\x07", ""],  # 8: a control character
        [b.registration_number, "", "照顾", "5", "\u202e号03〔2019〕发教湘", ""],  # 9: bidi
        [c.registration_number, "", "加分", "3", basis, "-1"],  # 10: c's 加分 again, formula
        [b.registration_number, "", "加分", "-5", basis, "@SUM(A1)"],  # 11
    ]
    found = problems(run("bonus", csv_file(BONUS, rows), city_user))
    assert sorted(found) == list(range(2, 12))
    assert "分值" in found[2] and "分值" in found[3] and "类别" in found[4]
    assert "依据" in found[5] and "依据" in found[6] and "formula" in found[6]
    assert "备注" in found[7] and "200" in found[7]
    assert "依据" in found[8] and "依据" in found[9]
    assert "\u202e" not in found[9]
    assert "line 6" in found[10] and "备注" in found[10]
    assert "分值" in found[11] and "备注" in found[11]
    assert not PolicyBonus.objects.exists()


def test_s10_a_file_with_one_bad_row_imports_nothing(city_user, candidates):
    good = [physical_row(c) for c in candidates]
    first = run("physical", csv_file(PHYSICAL, good[:1]), city_user)
    assert first.saved
    before = list(PhysicalExam.objects.values())
    n_events = events().count()
    changed = physical_row(candidates[0], 体检结论="不合格")
    bad = physical_row(candidates[2], 身高="abc")
    report = run("physical", csv_file(PHYSICAL, [changed, good[1], bad]), city_user)
    assert not report.saved and list(problems(report)) == [4]
    assert [r.action for r in report.rows[:2]] == ["update", "create"]
    assert list(PhysicalExam.objects.values()) == before
    assert events().count() == n_events


def test_s10_the_same_file_twice_changes_nothing(city_user, candidates):
    data = csv_file(PHYSICAL, [physical_row(c) for c in candidates])
    run("physical", data, city_user)
    before = list(PhysicalExam.objects.order_by("pk").values())
    n_events = events().count()
    again = run("physical", data, city_user, "same-again.csv")
    assert again.saved and [r.action for r in again.rows] == ["unchanged"] * 3
    assert list(PhysicalExam.objects.order_by("pk").values()) == before  # imported_at too
    assert events().count() == n_events + 1  # the summary, no per-candidate noise
    summary = events().get(target="same-again.csv")
    assert (summary.detail["created"], summary.detail["updated"]) == (0, 0)
    assert summary.detail["unchanged"] == 3


def test_s10_a_changed_value_is_an_update_audited_with_before_and_after(
    city_user, province_user, candidates
):
    a, b, _c = candidates
    first = [[a.registration_number, "", "数学", "B", "2019-06"]]
    first.append([b.registration_number, "", "数学", "A", "2019-06"])
    run("proficiency", csv_file(PROFICIENCY, first), city_user)
    second = [[a.registration_number, "", "数学", "A", "2019-12"], first[1]]
    report = run("proficiency", csv_file(PROFICIENCY, second), province_user, "补考.csv")
    assert [r.action for r in report.rows] == ["update", "unchanged"]
    shown = {(ch.label, ch.before, ch.after) for ch in report.rows[0].changes}
    assert shown == {("等级", "B", "A"), ("考试时间", "2019-06", "2019-12")}
    result = ProficiencyResult.objects.get(candidate=a)
    assert (result.grade, result.session, result.imported_by) == ("A", "2019-12", province_user)
    assert ProficiencyResult.objects.get(candidate=b).imported_by == city_user
    event = events().filter(actor=province_user, target=str(a)).get()
    assert event.detail["rows"] == [
        {
            "line": 2,
            "action": "update",
            "record": {"subject": "mathematics"},
            "changes": {"grade": ["B", "A"], "session": ["2019-06", "2019-12"]},
        }
    ]
    assert not events().filter(actor=province_user, target=str(b)).exists()


def test_s10_an_optional_column_left_out_keeps_the_field_and_an_empty_cell_clears_it(
    city_user, candidates
):
    c = candidates[0]
    run("physical", csv_file(PHYSICAL, [physical_row(c)]), city_user)
    header = [h for h in PHYSICAL if h != "身高"]
    row = physical_row(c, 体重="", 色觉="")
    row.pop(PHYSICAL.index("身高"))
    report = run("physical", csv_file(header, [row]), city_user)
    assert report.saved and report.rows[0].action == "update"
    exam = PhysicalExam.objects.get()
    assert exam.height_cm == Decimal("172.5")  # no column: kept
    assert exam.weight_kg is None and exam.colour_vision == ""  # empty cells: cleared


def test_s10_another_citys_user_cannot_import_for_our_candidates(
    other_city_user, candidates, stranger
):
    data = csv_file(PHYSICAL, [physical_row(c) for c in candidates])
    report = run("physical", data, other_city_user)
    assert not report.saved
    assert all(NO_CANDIDATE in p for p in problems(report).values())
    assert len(problems(report)) == 3
    assert not PhysicalExam.objects.exists() and not events().exists()
    # Their own candidate imports fine: the refusal is the jurisdiction, nothing else.
    assert run("physical", csv_file(PHYSICAL, [physical_row(stranger)]), other_city_user).saved


@pytest.mark.parametrize("who", ["county_user", "point_user"])
def test_s10_counties_and_points_do_not_import(request, who, candidates):
    user = request.getfixturevalue(who)
    data = csv_file(PHYSICAL, [physical_row(c) for c in candidates])
    for kind in ("physical", "proficiency", "bonus"):
        with pytest.raises(ImportRefused):
            run(kind, data, user, dry_run=True)
    assert not PhysicalExam.objects.exists()


def test_s10_imports_are_not_stopped_by_the_submission_stage(city_user, candidates):
    c = candidates[0]
    c.stage = Stage.PROVINCE
    c.save()
    version = c.version
    assert run("physical", csv_file(PHYSICAL, [physical_row(c)]), city_user).saved
    c.refresh_from_db()
    assert c.version == version  # the registration record itself is untouched


@pytest.mark.parametrize(
    ("data", "filename", "says"),
    [
        (b"MZ\x90\x00binary", "results.exe", "CSV or XLSX"),
        (b"PK\x03\x04broken", "results.xlsx", "XLSX"),
        ("报名号,科目\n01100001,数学\n".encode(), "results.csv", "等级"),
        ("报名号,科目,等级,考试时间\n".encode(), "results.csv", "no rows"),
        (b"", "results.csv", "empty"),
    ],
)
def test_s10_an_unreadable_file_is_reported_as_a_whole(city_user, candidates, data, filename, says):
    report = run("proficiency", data, city_user, filename)
    assert says in report.file_error and not report.rows and not report.saved
    assert not events().exists()


def test_s10_unknown_columns_are_ignored_and_named(city_user, candidates):
    c = candidates[0]
    header = [*PROFICIENCY, "姓名"]
    rows = [[c.registration_number, "", "数学", "A", "2019-06", c.name]]
    report = run("proficiency", csv_file(header, rows), city_user)
    assert report.saved and report.ignored_columns == ["姓名"]


def test_s10_a_formula_in_an_xlsx_cell_is_never_evaluated_nor_stored(city_user, candidates):
    c = candidates[0]
    formula = '=HYPERLINK("http://evil.example","点我")'
    rows = [
        [c.registration_number, "", "加分", 5, "湘教发〔2019〕30号", formula],
        [c.registration_number, "", "照顾", 5, formula, ""],
    ]
    report = run("bonus", xlsx_file(BONUS, rows), city_user, "bonus.xlsx")
    assert list(problems(report)) == [3] and "依据" in problems(report)[3]
    run("bonus", xlsx_file(BONUS, rows[:1]), city_user, "bonus.xlsx")
    assert PolicyBonus.objects.get().note == ""  # read as its (absent) value, stored inert


def test_s10_markup_is_stored_as_inert_text(city_user, candidates):
    c = candidates[0]
    note = "<script>alert(1)</script>"
    rows = [[c.registration_number, "", "加分", "5", "湘教发〔2019〕30号", note]]
    assert run("bonus", csv_file(BONUS, rows), city_user).saved
    assert PolicyBonus.objects.get().note == note  # the pages escape it


def test_s10_without_a_current_season_nothing_is_imported(city_user, candidates):
    Season.objects.update(is_current=False)
    with pytest.raises(NoCurrentSeason):
        run("physical", csv_file(PHYSICAL, [physical_row(candidates[0])]), city_user)


def test_s10_a_candidate_of_another_season_is_not_found(city_user, candidates, point):
    from gaokao.testing.factories import CandidateFactory, SeasonFactory

    old = SeasonFactory(province=point.county.parent.parent, year=2019, is_current=False)
    former = CandidateFactory(season=old, point=point)
    report = run("physical", csv_file(PHYSICAL, [physical_row(former)]), city_user)
    assert NO_CANDIDATE in problems(report)[2]


def test_s10_the_county_reads_the_audit_of_its_candidates_and_the_point_does_not(
    city_user, county_user, point_user, candidates
):
    run("physical", csv_file(PHYSICAL, [physical_row(candidates[0])]), city_user)
    per_candidate = events().filter(target=str(candidates[0]))
    assert per_candidate.visible_to(county_user).count() == 1
    assert not per_candidate.visible_to(point_user).exists()


def test_s10_a_long_file_name_is_cut_to_fit_the_audit_trail(city_user, candidates):
    name = "体检" * 150 + ".csv"
    report = run("physical", csv_file(PHYSICAL, [physical_row(candidates[0])]), city_user, name)
    assert report.saved
    summary = events().get(target__startswith="体检体检")
    assert len(summary.target) == 200 and summary.detail["filename"] == name
