"""工作人员 — staff accounts (their role and the one unit they work for) and the sign-in
throttle."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from gaokao.lib.idnumber import validate_resident_id
from gaokao.privacy.fields import BlindIndexedModel, BlindIndexField, EncryptedTextField
from gaokao.regions.jurisdiction import UnitQuerySet
from gaokao.regions.models import OwnedByUnit, Region


class Role(models.TextChoices):
    PROVINCE = "province", _("Province authority")
    CITY = "city", _("City office")
    COUNTY = "county", _("County office")
    POINT = "point", _("Registration point")


ROLE_LEVEL = {Role.PROVINCE: "province", Role.CITY: "city", Role.COUNTY: "county"}


class StaffManager(UserManager.from_queryset(UnitQuerySet)):  # type: ignore[misc]
    pass


class StaffUser(BlindIndexedModel, OwnedByUnit, AbstractUser):
    """工作人员 — a staff account of the province, a city, a county or a registration point.

    A province, city or county account belongs to a region of that level, a point account
    to a registration point (`OwnedByUnit`). That unit is the account's jurisdiction.
    """

    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]

    role = models.CharField(_("role"), max_length=8, choices=Role)
    # Real-name data (实名认证), entered by the level above and confirmed at first login.
    real_name = models.CharField(_("real name"), max_length=50, blank=True)
    # Encrypted at rest like the candidates' numbers; found by its blind index.
    id_number = EncryptedTextField(
        _("ID number"), max_length=18, blank=True, validators=[validate_resident_id]
    )
    id_number_index = BlindIndexField(source="id_number", db_index=True)
    mobile = models.CharField(_("mobile number"), max_length=11, blank=True)
    real_name_verified_at = models.DateTimeField(_("real name verified at"), null=True, blank=True)
    # TOTP second factor (RFC 6238), enrolled at real-name authentication. The last
    # accepted time step stops a code from being replayed within its 30 seconds.
    totp_secret = models.CharField(max_length=32, blank=True, editable=False)
    totp_last_step = models.BigIntegerField(null=True, blank=True, editable=False)

    objects = StaffManager()

    class Meta:
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")
        constraints = [
            *OwnedByUnit.Meta.constraints,
            models.UniqueConstraint(Lower("username"), name="staff_username_unique_ignoring_case"),
            # With exactly one unit set (above): the kind of unit the role needs.
            models.CheckConstraint(
                condition=Q(role="point", point__isnull=False)
                | Q(role__in=["province", "city", "county"], region__isnull=False),
                name="staff_unit_matches_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.real_name})" if self.real_name else self.username

    def clean(self) -> None:
        # The role's kind of unit first: its message says more than "exactly one unit".
        if self.role == Role.POINT:
            if self.point_id is None or self.region_id is not None:
                raise ValidationError(_("A point account belongs to a registration point."))
        elif self.role in ROLE_LEVEL:
            if self.region is None or self.point_id is not None:
                raise ValidationError(_("This account must belong to a region."))
            if self.region.level != ROLE_LEVEL[self.role]:
                raise ValidationError(_("The region's level does not match the account's role."))
        super().clean()

    @property
    def needs_setup(self) -> bool:
        """True until the person completed real-name authentication and enrolled TOTP."""
        return self.real_name_verified_at is None or not self.totp_secret

    @property
    def county(self) -> Region | None:
        """The county the account's unit lies in (None for province and city accounts)."""
        if self.role == Role.POINT:
            return self.point.county
        return self.region if self.role == Role.COUNTY else None

    @property
    def home_region(self) -> Region:
        """The region whose schedule (deadlines, extensions) applies to this account."""
        return self.point.county if self.role == Role.POINT else self.region


class Throttle(models.Model):
    """Failed attempts for one key (a user name, an IP address) in one scope (staff sign-in,
    TOTP codes, candidate sign-in…). Kept in the database so that every app server sees
    the same counts."""

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=150)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="throttle_unique_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
