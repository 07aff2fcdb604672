"""地区与报名点 — the regions (province, cities, counties), the registration points, and
`OwnedByUnit`, the one shape of a row that belongs to exactly one of them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gaokao.regions.jurisdiction import RegionQuerySet, UnitQuerySet, scoped_manager

six_digits = RegexValidator(r"^\d{6}$", _("Enter the six-digit GB/T 2260 code."))
four_digits = RegexValidator(r"^\d{4}$", _("Enter four digits."))


class Region(models.Model):
    """省 / 市州 / 县市区 — the province, a city or prefecture, or a county.

    `code` is the GB/T 2260 division code. A county also carries `registration_code`, the
    4-digit 市县码 that starts every registration number (报名号) issued there; by default it is
    digits 3–6 of the GB/T 2260 code, but the province may change it (it is not confirmed
    by any published source).
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City or prefecture")
        COUNTY = "county", _("County")

    code = models.CharField(_("division code"), max_length=6, unique=True, validators=[six_digits])
    name = models.CharField(_("name"), max_length=50)
    level = models.CharField(_("level"), max_length=8, choices=Level)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    registration_code = models.CharField(
        _("city-county code"),
        max_length=4,
        unique=True,
        null=True,
        blank=True,
        validators=[four_digits],
        help_text=_("The 4 digits that begin every registration number issued in this county."),
    )
    # A city or county that no longer runs registration is closed, never deleted once
    # anything refers to it (gaokao.regions.services). A default in the database too, so
    # that rows written by older code (a data migration's historical models) get it.
    is_active = models.BooleanField(_("active"), default=True, db_default=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level="province", parent__isnull=True)
                | models.Q(level__in=["city", "county"], parent__isnull=False),
                name="region_parent_matches_level",
            ),
            models.CheckConstraint(
                condition=models.Q(registration_code__isnull=True) | models.Q(level="county"),
                name="registration_code_only_for_counties",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def ancestors_and_self(self) -> list[Region]:
        """This region, its city and its province (the tree is three levels deep)."""
        chain, region = [], self
        while region is not None:
            chain.append(region)
            region = region.parent
        return chain

    @staticmethod
    def default_registration_code(code: str) -> str:
        return code[2:6]


class RegistrationPoint(models.Model):
    """报名点 — a registration point (a school or an office) under one county."""

    county = models.ForeignKey(
        Region,
        models.PROTECT,
        related_name="points",
        limit_choices_to={"level": Region.Level.COUNTY},
        verbose_name=_("county"),
    )
    code = models.CharField(
        _("point code"),
        max_length=7,
        unique=True,
        validators=[RegexValidator(r"^\d{7}$", _("Enter seven digits."))],
        help_text=_("The county's 4-digit city-county code and a 3-digit serial."),
    )
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    objects = scoped_manager(county="county", point="pk")

    class Meta:
        ordering = ["code"]
        verbose_name = _("registration point")
        verbose_name_plural = _("registration points")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


# Exactly one of the two keys set; `unit_check(required=False)` allows neither as well.
ONE_UNIT = Q(region__isnull=False, point__isnull=True) | Q(region__isnull=True, point__isnull=False)
AT_MOST_ONE_UNIT = Q(region__isnull=True) | Q(point__isnull=True)


def unit_check(*, required: bool = True) -> models.CheckConstraint:
    """The database's guard of `OwnedByUnit`, named after the model that uses it."""
    if required:
        return models.CheckConstraint(condition=ONE_UNIT, name="%(app_label)s_%(class)s_one_unit")
    return models.CheckConstraint(
        condition=AT_MOST_ONE_UNIT, name="%(app_label)s_%(class)s_at_most_one_unit"
    )


class OwnedByUnit(models.Model):
    """属于一个单位 — a row that belongs to exactly one unit: a region of any level or a
    registration point (a staff account, an audit event, a comment template, an incident
    and its timeline entries).

    Two nullable keys, `region` and `point`, of which exactly one is set: a check
    constraint in the database, `clean()` for forms. `unit` reads and sets whichever
    applies; `objects.visible_to(user)` gives the rows of the user's unit and the units
    below it, `objects.owned_by(user)` those of the user's own unit.

    A model with a `Meta` of its own does not inherit the guard: it lists
    `*OwnedByUnit.Meta.constraints` in its `constraints` (a test checks every model). A
    model whose rows may belong to no unit (audit events written before any region
    exists) sets `unit_required = False` and lists `unit_check(required=False)` instead.
    """

    unit_required = True

    region = models.ForeignKey(
        Region, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("region")
    )
    point = models.ForeignKey(
        RegistrationPoint,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registration point"),
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [unit_check()]

    @property
    def unit(self) -> Region | RegistrationPoint | None:
        """The region or the point this row belongs to."""
        return self.point if self.point_id else self.region

    @unit.setter
    def unit(self, unit: Region | RegistrationPoint | None) -> None:
        if unit is not None and not isinstance(unit, Region | RegistrationPoint):
            raise TypeError(f"A unit is a region or a registration point, not {unit!r}.")
        self.region = unit if isinstance(unit, Region) else None
        self.point = unit if isinstance(unit, RegistrationPoint) else None

    @property
    def unit_level(self) -> str | None:
        """The level of the unit: "point", or the region's ("county", "city", "province")."""
        if self.point_id:
            return "point"
        return self.region.level if self.region_id else None

    def clean(self) -> None:
        super().clean()
        has_region, has_point = self.region_id is not None, self.point_id is not None
        if (has_region and has_point) or (self.unit_required and not (has_region or has_point)):
            raise ValidationError(
                _("This belongs to exactly one unit: a region or a registration point.")
            )
