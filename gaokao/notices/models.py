from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.regions.models import Region

OFFICE_ROLES = ("province", "city", "county")


def chain_region_ids(user: Any) -> list[int]:
    """The ids of the regions whose notices `user` reads: the user's own region (for point
    staff, the point's county) and every region above it. Empty for anyone else."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    role = getattr(user, "role", None)
    if role == "point":
        start = Region.objects.filter(points=user.point_id)
    elif role in OFFICE_ROLES:
        start = Region.objects.filter(pk=user.region_id)
    else:
        return []
    row = start.values_list("pk", "parent_id", "parent__parent_id").first()
    return [pk for pk in row or () if pk is not None]


class NoticeQuerySet(models.QuerySet):
    def for_reader(self, user: Any) -> NoticeQuerySet:
        """The notices `user` reads: those posted by their own region or a region above it
        (a point reads its county's, city's and province's), not withdrawn; pinned first,
        then newest first. Never a sibling county's or another city's."""
        return (
            self.filter(region__in=chain_region_ids(user), withdrawn_at__isnull=True)
            .select_related("region")
            .order_by("-pinned", "-posted_at", "-pk")
        )

    def for_point(self, point: Any) -> NoticeQuerySet:
        """The notices the staff of `point` read (its county's, city's and province's, not
        withdrawn): what a point client's pull brings down (issue 20)."""
        county = Region.objects.filter(pk=point.county_id)
        row = county.values_list("pk", "parent_id", "parent__parent_id").first()
        regions = [pk for pk in row or () if pk is not None]
        return self.filter(region__in=regions, withdrawn_at__isnull=True).order_by("pk")

    # So that `get_visible_or_404` answers 404 for a notice outside the user's chain.
    visible_to = for_reader

    def with_read_mark(self, user: Any) -> NoticeQuerySet:
        """Annotate `is_read`: whether `user` has opened the notice."""
        return self.annotate(is_read=_read_by(user))

    def unread_by(self, user: Any) -> NoticeQuerySet:
        return self.exclude(_read_by(user))


def _read_by(user: Any) -> Exists:
    return Exists(NoticeRead.objects.filter(notice=OuterRef("pk"), user_id=user.pk))


class Notice(models.Model):
    """公告 — a notice that a province, city or county office posts to the levels below.

    Withdrawn notices disappear for readers but stay here with their attachments: nothing
    posted is ever deleted.
    """

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    region = models.ForeignKey(
        Region,
        models.PROTECT,
        related_name="notices",
        verbose_name=_("posted by unit"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("posted by"),
        help_text=_("Empty for notices the system posts, such as a new point client."),
    )
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now)
    pinned = models.BooleanField(
        _("pinned"), default=False, help_text=_("Pinned notices stay at the top of the list.")
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-pinned", "-posted_at", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [models.Index(fields=["region", "-posted_at"], name="notice_region_posted")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> AttachmentQuerySet:
        """Attachments of the notices `user` reads (see `NoticeQuerySet.for_reader`)."""
        return self.filter(notice__in=Notice.objects.for_reader(user).values("pk"))


class Attachment(models.Model):
    """附件 — a file attached to a notice, stored under a random name and downloaded under
    its original one, only through the download view (never from MEDIA_URL)."""

    notice = models.ForeignKey(
        Notice, models.PROTECT, related_name="attachments", verbose_name=_("notice")
    )
    file = models.FileField(_("file"), upload_to="notices/%Y/%m/", max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class NoticeRead(models.Model):
    """That one staff user has opened one notice: what the unread marks are made of."""

    notice = models.ForeignKey(Notice, models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    read_at = models.DateTimeField(_("read at"), default=timezone.now)

    class Meta:
        verbose_name = _("read mark")
        verbose_name_plural = _("read marks")
        constraints = [
            models.UniqueConstraint(fields=["notice", "user"], name="notice_read_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}/{self.user_id}"
