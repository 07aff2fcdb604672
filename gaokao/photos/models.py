import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.models import Candidate
from gaokao.regions.jurisdiction import scoped_manager


class PhotoSource(models.TextChoices):
    """Where a photo came from (R3, E4, E6)."""

    CAMERA = "camera", _("Camera at the point")
    UPLOAD = "upload", _("Camera file uploaded at the point")
    NETWORK = "network", _("Sent by the candidate over the network")


class CandidatePhoto(models.Model):
    """相片 — one photo of a candidate: the file as received and its 480×640 JPEG.

    Nothing is ever deleted: a new photo makes the previous one not current, and both files
    of every photo stay. The primary key is a UUID so that a point client can take photos
    offline (E4) and sync them like candidates.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    candidate = models.ForeignKey(
        Candidate, models.PROTECT, related_name="photos", verbose_name=_("candidate")
    )
    original = models.FileField(
        _("original file"), upload_to="photos/originals/%Y/%m/", max_length=200
    )
    normalised = models.FileField(
        _("standard photo"), upload_to="photos/normalised/%Y/%m/", max_length=200
    )
    source = models.CharField(_("source"), max_length=8, choices=PhotoSource)
    note = models.CharField(
        _("note"),
        max_length=200,
        blank=True,
        help_text=_("For a photo sent over the network: who sent it and how (phone, WeChat)."),
    )
    # The original as received; its size is given upright (after the EXIF orientation).
    original_type = models.CharField(_("original type"), max_length=16)
    original_width = models.PositiveIntegerField(_("original width"))
    original_height = models.PositiveIntegerField(_("original height"))
    original_bytes = models.PositiveIntegerField(_("original size (bytes)"))
    original_sha256 = models.CharField(_("original SHA-256"), max_length=64)
    normalised_bytes = models.PositiveIntegerField(_("standard photo size (bytes)"))
    normalised_sha256 = models.CharField(_("standard photo SHA-256"), max_length=64)
    quality = models.PositiveSmallIntegerField(_("JPEG quality"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("taken by")
    )
    created_at = models.DateTimeField(_("taken at"), default=timezone.now, db_index=True)
    is_current = models.BooleanField(_("current"), default=True)

    objects = scoped_manager(county="candidate__point__county", point="candidate__point")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("candidate photo")
        verbose_name_plural = _("candidate photos")
        constraints = [
            models.UniqueConstraint(
                fields=["candidate"],
                condition=Q(is_current=True),
                name="one_current_photo_per_candidate",
            ),
            # E6: a photo sent over the network says who sent it and how.
            models.CheckConstraint(
                condition=~Q(source="network") | ~Q(note=""), name="network_photo_has_note"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def download_name(self) -> str:
        """The file name offered for the standard photo: the registration number, .jpg."""
        return f"{self.candidate.registration_number or self.candidate_id}.jpg"
