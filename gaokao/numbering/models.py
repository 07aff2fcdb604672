from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gaokao.codes.models import Code, Table
from gaokao.regions.jurisdiction import scoped_manager
from gaokao.regions.models import RegistrationPoint
from gaokao.seasons.models import Season

FIRST_SERIAL = 1
LAST_SERIAL = 9999
serial_validators = [MinValueValidator(FIRST_SERIAL), MaxValueValidator(LAST_SERIAL)]


def registration_number(registration_code: str, serial: int) -> str:
    """报名号 — the 8-digit number: the county's 4-digit city-county code and a 4-digit serial."""
    return f"{registration_code}{serial:04d}"


class NumberRange(models.Model):
    """号段 — serials `first`..`last` of the county's space that one point issues for one
    subject track in one season.

    The serial space 0001–9999 belongs to the county: ranges of a county and season never
    overlap, whatever their point or track, so every number is unique in the season. A point
    may hold several ranges for a track (a second one when the first runs out). Numbers are
    issued in order; `next_serial` is the next one to issue, `last + 1` once the range is used
    up. Writes go through `gaokao.numbering.services`, which keeps these rules.
    """

    season = models.ForeignKey(
        Season, models.PROTECT, related_name="number_ranges", verbose_name=_("season")
    )
    point = models.ForeignKey(
        RegistrationPoint,
        models.PROTECT,
        related_name="number_ranges",
        verbose_name=_("registration point"),
    )
    subject_track = models.ForeignKey(
        Code,
        models.PROTECT,
        related_name="+",
        limit_choices_to={"table": Table.SUBJECT_TRACK},
        verbose_name=_("subject track"),
    )
    first = models.PositiveSmallIntegerField(_("first serial"), validators=serial_validators)
    last = models.PositiveSmallIntegerField(_("last serial"), validators=serial_validators)
    next_serial = models.PositiveSmallIntegerField(_("next serial"))
    expected_count = models.PositiveIntegerField(
        _("expected candidates"),
        default=0,
        help_text=_("The point's expected number of candidates the range was sized for."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = scoped_manager(county="point__county", point="point")

    class Meta:
        ordering = ["season", "first"]
        verbose_name = _("number range")
        verbose_name_plural = _("number ranges")
        indexes = [
            # Issuing a number looks up the point's ranges for a track, oldest first.
            models.Index(fields=["season", "point", "subject_track", "first"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(first__gte=FIRST_SERIAL)
                & Q(last__lte=LAST_SERIAL)
                & Q(first__lte=F("last")),
                name="number_range_serials_in_order",
            ),
            models.CheckConstraint(
                condition=Q(next_serial__gte=F("first")) & Q(next_serial__lte=F("last") + 1),
                name="number_range_next_serial_within",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_number}–{self.last_number}"

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    @property
    def issued(self) -> int:
        """How many numbers of the range have been issued."""
        return self.next_serial - self.first

    @property
    def free(self) -> int:
        """How many numbers of the range are left to issue."""
        return self.last + 1 - self.next_serial

    @property
    def last_issued_serial(self) -> int | None:
        return self.next_serial - 1 if self.issued else None

    def number(self, serial: int) -> str:
        return registration_number(self.point.county.registration_code or "????", serial)

    @property
    def first_number(self) -> str:
        return self.number(self.first)

    @property
    def last_number(self) -> str:
        return self.number(self.last)

    def overlaps(self, first: int, last: int) -> bool:
        return self.first <= last and first <= self.last


class NumberBlock(models.Model):
    """A block of one range's serials reserved to one point client (issue 20): the device
    takes numbers offline from its own blocks only, so that two PCs of one point never
    hand out the same number. The server reserves a block at enrolment and tops the
    device up at each pull (`gaokao.numbering.services.top_up`).

    A block is taken from the range's `next_serial` like a number issued by the office
    web, so blocks of different devices, and the numbers the office web issues, never
    overlap. `next_serial` is the next serial the device has not used, as far as the
    server knows (moved by the numbers it claims). `holder` is the device's id (the
    numbering app does not know devices); a revoked device's blocks are `released_at`:
    their unused numbers are never handed out again (a gap, not a risk)."""

    number_range = models.ForeignKey(
        NumberRange, models.PROTECT, related_name="blocks", verbose_name=_("number range")
    )
    holder = models.UUIDField(_("point client"), db_index=True)
    holder_name = models.CharField(_("point client's name"), max_length=80, blank=True)
    first = models.PositiveSmallIntegerField(_("first serial"), validators=serial_validators)
    last = models.PositiveSmallIntegerField(_("last serial"), validators=serial_validators)
    next_serial = models.PositiveSmallIntegerField(_("next serial"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["number_range", "first"]
        verbose_name = _("number block")
        verbose_name_plural = _("number blocks")
        constraints = [
            models.UniqueConstraint(fields=["number_range", "first"], name="number_block_once"),
            models.CheckConstraint(
                condition=Q(first__lte=F("last"))
                & Q(next_serial__gte=F("first"))
                & Q(next_serial__lte=F("last") + 1),
                name="number_block_serials_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_number}–{self.last_number}"

    @property
    def free(self) -> int:
        return self.last + 1 - self.next_serial

    def number(self, serial: int) -> str:
        return self.number_range.number(serial)

    @property
    def first_number(self) -> str:
        return self.number(self.first)

    @property
    def last_number(self) -> str:
        return self.number(self.last)
