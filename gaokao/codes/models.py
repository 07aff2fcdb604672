"""代码表 — the code tables (ethnicity, subject track, …) as rows the province edits."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Table(models.TextChoices):
    """The code tables (代码表). Their rows are data the province edits (E2), not constants."""

    SEX = "sex", _("Sex")
    ETHNICITY = "ethnicity", _("Ethnicity")
    POLITICAL_STATUS = "political_status", _("Political status")
    CANDIDATE_CATEGORY = "candidate_category", _("Candidate category")
    HOUSEHOLD_TYPE = "household_type", _("Household type")
    GRADUATION_TYPE = "graduation_type", _("Graduation type")
    SUBJECT_TRACK = "subject_track", _("Subject track")
    EXAM_TYPE = "exam_type", _("Exam type")
    FOREIGN_LANGUAGE = "foreign_language", _("Foreign language")
    DOCUMENT_TYPE = "document_type", _("Document type")
    DISABILITY_CATEGORY = "disability_category", _("Disability category")
    # The province's school list (毕业学校, BYXXDM/BYXXMC); attrs["county"] is the school's
    # county code. Loaded with `gaokao import-schools`.
    SCHOOL = "school", _("Graduating school")


class CodeQuerySet(models.QuerySet):
    def of(self, table: str) -> "CodeQuerySet":
        return self.filter(table=table, is_active=True)

    def choices(self, table: str) -> list[tuple[str, str]]:
        return [(c.code, c.name) for c in self.of(table)]

    def choices_by_table(self, tables) -> dict[str, list[tuple[str, str]]]:
        """`choices` of several tables in one query (a form offering six code tables asks
        the database once, not six times)."""
        found: dict[str, list[tuple[str, str]]] = {table: [] for table in tables}
        rows = self.filter(table__in=found, is_active=True).values_list("table", "code", "name")
        for table, code, name in rows:
            found[table].append((code, name))
        return found

    def names_by_table(self, tables) -> dict[str, dict[str, str]]:
        """Code → name of several tables, inactive codes included (for showing records)."""
        found: dict[str, dict[str, str]] = {table: {} for table in tables}
        for table, code, name in self.filter(table__in=found).values_list("table", "code", "name"):
            found[table][code] = name
        return found


class Code(models.Model):
    """One row of a code table: its code (as exchanged with the national system) and name.

    `attrs` carries what a rule needs beyond the name, e.g. the household type a candidate
    category implies, or the window a subject track registers in.
    """

    table = models.CharField(_("table"), max_length=32, choices=Table)
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=60)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(
        _("in use"), default=True, help_text=_("Codes no longer in use stay for existing records.")
    )
    attrs = models.JSONField(_("attributes"), default=dict, blank=True)

    objects = CodeQuerySet.as_manager()

    class Meta:
        ordering = ["table", "sort_order", "code"]
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        constraints = [
            models.UniqueConstraint(fields=["table", "code"], name="code_unique_in_table")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


def validate_code(table: str, value: str) -> None:
    """Refuse a value that is not an active code of `table` (forms and services call this)."""
    if not Code.objects.of(table).filter(code=value).exists():
        raise ValidationError(
            _("%(value)s is not a valid %(table)s code."),
            code="invalid_code",
            params={"value": value, "table": Table(table).label},
        )


class RegistrationFee(models.Model):
    """报名费 — the ordinary registration fee (S5) for one subject track in one season, in fen.

    Here, beside the code tables, and not in `seasons`: like the codes it is data the
    province edits each year (docs/requirements.md, E2), one row per code of the subject
    track table, and `seasons` keeps to the schedule and its deadlines. The points take the
    amount from this table (`gaokao.codes.fees.expected_fee`); they never type it."""

    season = models.ForeignKey(
        "seasons.Season", models.CASCADE, related_name="fees", verbose_name=_("season")
    )
    subject_track = models.CharField(_("subject track"), max_length=10)
    fee_fen = models.PositiveIntegerField(_("registration fee (fen)"))

    class Meta:
        ordering = ["season", "subject_track"]
        verbose_name = _("registration fee")
        verbose_name_plural = _("registration fees")
        constraints = [
            models.UniqueConstraint(
                fields=["season", "subject_track"], name="registration_fee_unique_per_track"
            )
        ]

    def __str__(self) -> str:
        return f"{self.season} · {self.subject_track}"
