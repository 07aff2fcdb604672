"""Data the offices import for candidates (S10): physical exams (体检), academic proficiency
results (学业水平考试成绩) and policy bonuses (照顾/加分).

These are collected by their own prescribed channels, not at registration: the files come
from the hospitals' and the proficiency exam's systems and from the bonus reviews, and the
offices import them (gaokao.results.services). Each row remembers the file it came from
(SHA-256), when and by whom, so that the audit trail and the row agree.

The physical exam keeps only what admission restrictions turn on (the national guidance on
physical exams for college admission: height, weight, eyesight, colour vision, the
conclusion and the restrictions it names); the full medical form stays with the hospital.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.models import Candidate
from gaokao.regions.jurisdiction import scoped_manager


class ColourVision(models.TextChoices):
    NORMAL = "normal", _("Normal")  # 正常
    WEAK = "weak", _("Colour weakness")  # 色弱
    BLIND = "blind", _("Colour blindness")  # 色盲


class Conclusion(models.TextChoices):
    """体检结论: fit for every programme, restricted (some programmes not advised or not
    admitting), or unfit for admission."""

    FIT = "fit", _("Fit")  # 合格
    RESTRICTED = "restricted", _("Restricted")  # 受限
    UNFIT = "unfit", _("Unfit")  # 不合格


class Subject(models.TextChoices):
    """The subjects of the academic proficiency exam (学业水平考试)."""

    CHINESE = "chinese", _("Chinese language and literature")  # 语文
    MATHEMATICS = "mathematics", _("Mathematics")  # 数学
    ENGLISH = "english", _("English")  # 英语
    POLITICS = "politics", _("Ideology and politics")  # 思想政治
    HISTORY = "history", _("History")  # 历史
    GEOGRAPHY = "geography", _("Geography")  # 地理
    PHYSICS = "physics", _("Physics")  # 物理
    CHEMISTRY = "chemistry", _("Chemistry")  # 化学
    BIOLOGY = "biology", _("Biology")  # 生物
    INFORMATION_TECHNOLOGY = "it", _("Information technology")  # 信息技术
    GENERAL_TECHNOLOGY = "general_tech", _("General technology")  # 通用技术
    PHYSICAL_EDUCATION = "pe", _("Physical education and health")  # 体育与健康
    MUSIC = "music", _("Music")  # 音乐
    FINE_ARTS = "fine_arts", _("Fine arts")  # 美术


class Grade(models.TextChoices):
    """合格性考试 等级 A–E, or pass/fail where a subject is only passed or failed."""

    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"
    E = "E", "E"
    PASS = "pass", _("Pass")  # 合格
    FAIL = "fail", _("Fail")  # 不合格


class BonusKind(models.TextChoices):
    """加分 adds points to the score for admission; 照顾 lets a programme admit the candidate
    with a score lower by the points. Several grounds of one kind never add up (only the
    highest counts), so a candidate has at most one row of each kind."""

    BONUS = "bonus", _("Bonus points")  # 加分
    PREFERENCE = "preference", _("Preferential consideration")  # 照顾


MAX_BONUS_POINTS = 20


class Imported(models.Model):
    """Where an imported row came from: the file's SHA-256, when, by whom."""

    source_sha256 = models.CharField(_("source file (SHA-256)"), max_length=64)
    imported_at = models.DateTimeField(_("imported at"))
    imported_by = models.ForeignKey(
        "accounts.StaffUser",
        models.PROTECT,
        related_name="+",
        verbose_name=_("imported by"),
    )

    objects = scoped_manager(county="candidate__point__county", point="candidate__point")

    class Meta:
        abstract = True


class PhysicalExam(Imported):
    """体检 — the candidate's physical exam for admission, one per candidate."""

    candidate = models.OneToOneField(
        Candidate, models.CASCADE, related_name="physical_exam", verbose_name=_("candidate")
    )
    exam_date = models.DateField(_("exam date"))
    height_cm = models.DecimalField(
        _("height (cm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    # Five-point notation (五分记录法, GB 11533), e.g. 4.8; 5.0 is normal sight.
    vision_left = models.DecimalField(
        _("eyesight, left"), max_digits=2, decimal_places=1, null=True, blank=True
    )
    vision_right = models.DecimalField(
        _("eyesight, right"), max_digits=2, decimal_places=1, null=True, blank=True
    )
    colour_vision = models.CharField(
        _("colour vision"), max_length=8, choices=ColourVision, blank=True
    )
    conclusion = models.CharField(_("conclusion"), max_length=12, choices=Conclusion)
    restrictions = models.CharField(_("restrictions"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("physical exam")
        verbose_name_plural = _("physical exams")
        constraints = [
            models.CheckConstraint(
                condition=~Q(conclusion="restricted") | ~Q(restrictions=""),
                name="physical_exam_restrictions_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} {self.get_conclusion_display()}"


class ProficiencyResult(Imported):
    """学业水平考试成绩 — the candidate's result in one proficiency subject."""

    candidate = models.ForeignKey(
        Candidate, models.CASCADE, related_name="proficiency_results", verbose_name=_("candidate")
    )
    subject = models.CharField(_("subject"), max_length=16, choices=Subject)
    grade = models.CharField(_("grade"), max_length=4, choices=Grade)
    session = models.CharField(_("exam session"), max_length=7, help_text=_("YYYY-MM"))

    class Meta:
        ordering = ["candidate", "subject"]
        verbose_name = _("proficiency result")
        verbose_name_plural = _("proficiency results")
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "subject"], name="one_proficiency_result_per_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} {self.get_subject_display()} {self.get_grade_display()}"


class PolicyBonus(Imported):
    """照顾/加分 — a policy bonus of one kind, with its legal basis."""

    candidate = models.ForeignKey(
        Candidate, models.CASCADE, related_name="policy_bonuses", verbose_name=_("candidate")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=BonusKind)
    points = models.PositiveSmallIntegerField(_("points"))
    legal_basis = models.CharField(_("legal basis"), max_length=200)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["candidate", "kind"]
        verbose_name = _("policy bonus")
        verbose_name_plural = _("policy bonuses")
        constraints = [
            models.UniqueConstraint(fields=["candidate", "kind"], name="one_policy_bonus_per_kind"),
            models.CheckConstraint(
                condition=Q(points__lte=MAX_BONUS_POINTS), name="policy_bonus_points_at_most_20"
            ),
            models.CheckConstraint(condition=~Q(legal_basis=""), name="policy_bonus_has_basis"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} {self.get_kind_display()} {self.points}"


class PendingImport(models.Model):
    """A checked file waiting for its uploader to confirm the import.

    Kept in the database, not on disk, so that the confirmation may reach any app server;
    only its uploader can confirm it, only within KEEP_HOURS (services), and it is deleted
    once imported. The bytes hold personal data, so nothing keeps them longer.
    """

    kind = models.CharField(_("kind"), max_length=16)
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    data = models.BinaryField(_("content"))
    uploaded_by = models.ForeignKey(
        "accounts.StaffUser", models.CASCADE, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pending import")
        verbose_name_plural = _("pending imports")

    def __str__(self) -> str:
        return f"{self.kind} {self.filename} {self.sha256[:12]}"
