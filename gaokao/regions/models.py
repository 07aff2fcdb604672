from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gaokao.accounts.jurisdiction import RegionQuerySet, scoped_manager

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

    def ancestors_and_self(self) -> list["Region"]:
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
