"""Comments (思想品德考核意见, SXPDKHYJ) that points and counties write for each candidate (S8),
the snippets a unit reuses for them, and the uploads waiting between an import's dry run and
the import itself."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.models import Candidate
from gaokao.incidents.models import Upload, recorded_here
from gaokao.notices.models import chain_region_ids
from gaokao.regions.jurisdiction import NOTHING, UnitQuerySet, scoped_manager
from gaokao.regions.models import OwnedByUnit

# The one length limit of a comment and of a template's text, counted in characters after
# control and format characters are dropped.
COMMENT_LIMIT = 200
TEMPLATE_TITLE_LIMIT = 40


class Comment(models.Model):
    """思想品德考核意见 — the comment on one candidate, written at the point or the county.

    `version` grows with every change of the comment, for optimistic locking: a save based
    on an older version is refused instead of overwriting someone's work.
    """

    candidate = models.OneToOneField(
        Candidate, models.CASCADE, related_name="comment", verbose_name=_("candidate")
    )
    text = models.CharField(_("comment"), max_length=COMMENT_LIMIT, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("written by")
    )
    written_at = models.DateTimeField(_("written at"), default=timezone.now)
    version = models.PositiveIntegerField(_("version"), default=1)
    # On a point client (issue 20): whether the centre has the text saved here yet, what it
    # answered if it refused it, and the centre's version of the comment the text replaces
    # (0: none), so that a comment the county changed meanwhile is never overwritten.
    upload = models.CharField(
        _("sync"), max_length=8, choices=Upload, default=recorded_here, editable=False
    )
    upload_message = models.CharField(max_length=300, blank=True, editable=False)
    server_version = models.PositiveIntegerField(default=0, editable=False)

    objects = scoped_manager(county="candidate__point__county", point="candidate__point")

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return self.text


class TemplateQuerySet(UnitQuerySet):
    """`owned_by(user)` (from UnitQuerySet): the templates of the user's own unit, the ones
    the user may delete."""

    def usable_by(self, user: Any) -> TemplateQuerySet:
        """The templates the user may insert: the own unit's and those of every level above
        (a point uses its county's, city's and province's). Never a sibling unit's."""
        own = Q(point_id=user.point_id) if getattr(user, "role", None) == "point" else NOTHING
        regions = chain_region_ids(user)
        # The own unit's first, then the county's, the city's, the province's.
        return self.filter(own | Q(region_id__in=regions)).order_by(
            F("point_id").asc(nulls_last=True), F("region__code").desc(), "title", "pk"
        )


class CommentTemplate(OwnedByUnit):
    """评语模板 — a snippet a unit (a point or a region) reuses when writing comments; it
    belongs to that one unit (`OwnedByUnit`)."""

    title = models.CharField(_("title"), max_length=TEMPLATE_TITLE_LIMIT)
    text = models.CharField(_("text"), max_length=COMMENT_LIMIT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = TemplateQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("comment template")
        verbose_name_plural = _("comment templates")
        constraints = [
            *OwnedByUnit.Meta.constraints,
            models.UniqueConstraint(
                fields=["region", "title"],
                condition=Q(region__isnull=False),
                name="comment_template_title_unique_in_region",
            ),
            models.UniqueConstraint(
                fields=["point", "title"],
                condition=Q(point__isnull=False),
                name="comment_template_title_unique_in_point",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CommentUpload(models.Model):
    """An uploaded comments file between its dry run and its import.

    The file is kept here (not in the session, not on one app server's disk) so that the
    import applies the very bytes the dry run checked, whichever server answers; `sha256`
    is checked again before importing. Only the uploader may import it. Once imported the
    bytes are dropped and the row stays as a record of what was imported.
    """

    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField(editable=False)
    # What the dry run found, line by line: the import goes ahead only if a fresh check of
    # the same bytes finds exactly the same.
    plan = models.JSONField(default=list, editable=False)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("comments upload")
        verbose_name_plural = _("comments uploads")
        indexes = [models.Index(fields=["uploaded_by", "sha256"], name="comment_upload_user_hash")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.sha256[:12]})"
