import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gaokao.privacy.fields import BlindIndexedModel, BlindIndexField, EncryptedTextField
from gaokao.regions.jurisdiction import scoped_manager
from gaokao.regions.models import RegistrationPoint
from gaokao.seasons.models import Season


class IdentitySource(models.TextChoices):
    READER = "reader", _("Read from the ID card")
    MANUAL = "manual", _("Keyed in by staff")


class EligibilityPath(models.TextChoices):
    """How the candidate's identity reaches registration (S3, O1–O3)."""

    NORMAL = "normal", _("Second-generation ID card")
    MIGRANT = "migrant", _("Migrant workers' child")  # O1: reviewed by the county
    OTHER_DOCUMENT = "other_document", _("Other identity document")  # O2: by the city
    NO_CARD = "no_card", _("No card or a damaged card")  # O3: by the city, verify later


REVIEWING_LEVEL = {
    EligibilityPath.MIGRANT: "county",
    EligibilityPath.OTHER_DOCUMENT: "city",
    EligibilityPath.NO_CARD: "city",
}


class ReviewState(models.TextChoices):
    NOT_REQUIRED = "not_required", _("Not required")
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


def initial_review_state(path: str) -> str:
    """A new candidate's identity review: awaited on the paths an office reviews (O1-O3)."""
    return ReviewState.PENDING if path in REVIEWING_LEVEL else ReviewState.NOT_REQUIRED


class EligibilityResult(models.TextChoices):
    UNCHECKED = "", _("Not checked yet")
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Not eligible")


class Stage(models.TextChoices):
    """Where a candidate's record is in the submission upward (S9): the level that holds it.
    Levels below the holder cannot change it; the holder submits it up or returns it down."""

    POINT = "point", _("At the point")
    COUNTY = "county", _("Submitted to the county")
    CITY = "city", _("Submitted to the city")
    PROVINCE = "province", _("Submitted to the province")
    ACCEPTED = "accepted", _("Accepted by the province")


class Candidate(BlindIndexedModel):
    """考生 — a candidate registered at one point in one season.

    The primary key is a UUID so that a point client can create candidates offline and sync
    them without collisions. `version` grows with every change, for optimistic locking:
    a save based on an older version is refused instead of overwriting someone's work.
    The card's address is never stored (O4); the card photo (WLT) is kept as read.
    The document number, and the student number that holds it ("G" + ID number), are
    encrypted at rest; the number is found by its blind index (gaokao.privacy).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    season = models.ForeignKey(
        Season, models.PROTECT, related_name="candidates", verbose_name=_("season")
    )
    point = models.ForeignKey(
        RegistrationPoint,
        models.PROTECT,
        related_name="candidates",
        verbose_name=_("registration point"),
    )
    subject_track = models.CharField(_("subject track"), max_length=8)
    # NULL until a number is allocated: the unique constraint ignores such rows.
    registration_number = models.CharField(  # noqa: DJ001
        _("registration number"), max_length=8, null=True, blank=True
    )
    number_range = models.ForeignKey(
        "numbering.NumberRange", models.PROTECT, null=True, blank=True, related_name="candidates"
    )

    # Identity (S3, O1–O3): from the card reader, or keyed in by staff and verified later.
    document_type = models.CharField(_("document type"), max_length=8, default="1")
    id_number = EncryptedTextField(_("document number"), max_length=30)
    id_number_index = BlindIndexField(source="id_number", db_index=True)
    name = models.CharField(_("full name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, blank=True)
    birth_date = models.DateField(_("birth date"))
    issuing_authority = models.CharField(_("issuing authority"), max_length=50, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("Empty: long-term.")
    )
    card_photo = models.BinaryField(_("card photo (WLT)"), null=True, blank=True, editable=False)
    identity_source = models.CharField(
        _("identity collected"), max_length=8, choices=IdentitySource
    )
    identity_verified_at = models.DateTimeField(_("identity verified at"), null=True, blank=True)

    # Eligibility path and its review (O1–O3).
    eligibility_path = models.CharField(
        _("eligibility path"),
        max_length=16,
        choices=EligibilityPath,
        default=EligibilityPath.NORMAL,
    )
    review_state = models.CharField(
        _("review"), max_length=16, choices=ReviewState, default=ReviewState.NOT_REQUIRED
    )
    review_reason = models.CharField(_("review reason"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.StaffUser", models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # O3: a candidate without a card goes on once the new card is read at the point
    # (identity_verified_at), or by the city's decision, recorded with its reason.
    card_waived_by = models.ForeignKey(
        "accounts.StaffUser", models.PROTECT, null=True, blank=True, related_name="+"
    )
    card_waived_at = models.DateTimeField(_("card read waived at"), null=True, blank=True)
    card_waived_reason = models.CharField(_("why no card is read"), max_length=200, blank=True)

    # Documents, fee and eligibility checked at the point (S5).
    documents_received = models.BooleanField(_("documents received"), default=False)
    fee_fen = models.PositiveIntegerField(_("registration fee (fen)"), null=True, blank=True)
    fee_receipt = models.CharField(_("receipt number"), max_length=40, blank=True)
    eligibility = models.CharField(
        _("eligibility"), max_length=12, choices=EligibilityResult, default="", blank=True
    )
    eligibility_note = models.CharField(_("eligibility note"), max_length=200, blank=True)
    point_checked_by = models.ForeignKey(
        "accounts.StaffUser", models.PROTECT, null=True, blank=True, related_name="+"
    )
    point_checked_at = models.DateTimeField(null=True, blank=True)

    # Candidate portal credentials (S4): only the hash of the initial password is kept.
    portal_password = models.CharField(max_length=128, blank=True, editable=False)
    credentials_issued_at = models.DateTimeField(null=True, blank=True)
    credentials_issued_count = models.PositiveIntegerField(default=0)
    # 信息保存及提交确认密码 (O5): set right after the first sign-in, asked at every save.
    confirmation_password = models.CharField(max_length=128, blank=True, editable=False)
    portal_last_login = models.DateTimeField(null=True, blank=True)

    # The candidate's own data, entered in the portal (S6), each save confirmed with the
    # confirmation password (O5). Blank until entered. No mailing address, postcode or
    # recipient exists anywhere (O4, data minimisation).
    political_status = models.CharField(_("political status"), max_length=8, blank=True)
    candidate_category = models.CharField(_("candidate category"), max_length=8, blank=True)
    household_type = models.CharField(_("household type"), max_length=8, blank=True)
    household_region = models.CharField(
        _("household region"),
        max_length=6,
        blank=True,
        help_text=_("Six-digit county code (GB/T 2260)."),
    )
    graduation_type = models.CharField(_("graduation type"), max_length=8, blank=True)
    school = models.CharField(
        _("graduating school"),
        max_length=10,
        blank=True,
        help_text=_("A code from the province's school list."),
    )
    student_number = EncryptedTextField(_("student registration number"), max_length=19, blank=True)
    proficiency_number = models.CharField(
        _("academic proficiency exam number"), max_length=20, blank=True
    )
    foreign_language = models.CharField(_("foreign language"), max_length=8, blank=True)
    disability_category = models.CharField(_("disability category"), max_length=8, blank=True)
    accommodations = models.CharField(_("accommodations requested"), max_length=200, blank=True)
    mobile = models.CharField(_("mobile phone"), max_length=11, blank=True)
    phone = models.CharField(_("other phone"), max_length=20, blank=True)
    specialties = models.TextField(_("specialties"), max_length=500, blank=True)
    awards = models.TextField(_("awards and punishments"), max_length=500, blank=True)
    data_saved_at = models.DateTimeField(_("data saved at"), null=True, blank=True)

    created_by = models.ForeignKey(
        "accounts.StaffUser", models.PROTECT, null=True, blank=True, related_name="+"
    )
    # E4/E5: the candidate's own data was keyed in by point staff from a paper draft form
    # (power or network out); the candidate checks it later in the portal.
    keyed_from_paper = models.BooleanField(_("keyed in from a paper form"), default=False)
    stage = models.CharField(
        _("submission stage"), max_length=8, choices=Stage, default=Stage.POINT, db_index=True
    )
    # A return after the cut-off of the level it goes to reopens the record for that level
    # until it submits it again (gaokao.candidates.stage): the stage it was reopened at.
    reopened_after_cutoff_at = models.CharField(
        _("reopened after the cut-off at"), max_length=8, choices=Stage, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = scoped_manager(county="point__county", point="point")

    class Meta:
        ordering = ["registration_number"]
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        constraints = [
            models.UniqueConstraint(
                fields=["season", "registration_number"],
                name="registration_number_unique_in_season",
            ),
            # One registration per person and season (duplicate registration, S3).
            models.UniqueConstraint(
                fields=["season", "id_number_index"], name="id_number_unique_in_season"
            ),
            models.CheckConstraint(
                condition=Q(fee_fen__isnull=True) | Q(fee_fen__gte=0), name="fee_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_number or '—'} {self.name}"

    @property
    def identity_cleared(self) -> bool:
        """The identity path allows registration: no review needed, or approved."""
        return self.review_state in (ReviewState.NOT_REQUIRED, ReviewState.APPROVED)

    @property
    def point_checks_done(self) -> bool:
        """S5: documents received, fee paid and eligibility confirmed at the point."""
        return (
            self.documents_received and self.fee_fen is not None and self.eligibility == "eligible"
        )

    @property
    def may_get_login_card(self) -> bool:
        return bool(self.registration_number) and self.identity_cleared and self.point_checks_done


class ResumeEntry(models.Model):
    """个人简历 — one row of the candidate's résumé, from junior high school onward (S6)."""

    candidate = models.ForeignKey(
        Candidate, models.CASCADE, related_name="resume", verbose_name=_("candidate")
    )
    start = models.CharField(_("from"), max_length=7, help_text=_("YYYY-MM"))
    end = models.CharField(_("to"), max_length=7, blank=True, help_text=_("YYYY-MM"))
    school_or_employer = models.CharField(_("school or employer"), max_length=60)
    role = models.CharField(_("role"), max_length=30, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["candidate", "order", "start"]
        verbose_name = _("résumé entry")
        verbose_name_plural = _("résumé entries")

    def __str__(self) -> str:
        return f"{self.start}–{self.end} {self.school_or_employer}"


class FamilyMember(models.Model):
    """家庭成员 — one family member the candidate names (S6)."""

    candidate = models.ForeignKey(
        Candidate, models.CASCADE, related_name="family", verbose_name=_("candidate")
    )
    name = models.CharField(_("name"), max_length=20)
    relation = models.CharField(_("relation"), max_length=10)
    employer = models.CharField(_("employer"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["candidate", "order", "id"]
        verbose_name = _("family member")
        verbose_name_plural = _("family members")

    def __str__(self) -> str:
        return f"{self.relation} {self.name}"
