"""The central side of the point client's sync (R4, S3, E4, E5): enrolled devices, every
change received (so that a change sent twice is applied once), conflicts waiting for a
person, and photo uploads that resume after a cut."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.models import Candidate
from gaokao.regions.jurisdiction import scoped_manager
from gaokao.regions.models import RegistrationPoint


class Device(models.Model):
    """A point client installation: its Ed25519 public key (it signs bundles) and the hash
    of its bearer token (it authenticates sync calls). Revoking it stops both."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    point = models.ForeignKey(
        RegistrationPoint, models.PROTECT, related_name="devices", verbose_name=_("point")
    )
    name = models.CharField(_("name"), max_length=60)
    public_key = models.CharField(_("public key (Ed25519, Base64)"), max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("enrolled by")
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    # The client's clock at its last push, against the server's (E3-E5): a device more
    # than GAOKAO_CLOCK_SKEW_MINUTES off is flagged to its county, since keyed-at times
    # are read from that clock.
    clock_skew_seconds = models.IntegerField(
        _("clock off by (seconds)"), null=True, blank=True
    )  # the client's clock minus the server's
    clock_checked_at = models.DateTimeField(_("clock checked at"), null=True, blank=True)
    clock_flagged = models.BooleanField(_("clock off"), default=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = scoped_manager(county="point__county", point="point")

    class Meta:
        ordering = ["point", "name"]
        verbose_name = _("point client")
        verbose_name_plural = _("point clients")

    def __str__(self) -> str:
        return f"{self.point.code} {self.name}"


class Receipt(models.Model):
    """One change received from a device (by sync or on a disc), under the id the device
    gave it: the same id again gets the same answer and changes nothing."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied to the record")
        CONFLICT = "conflict", _("Conflict: waiting for a person")
        REFUSED = "refused", _("Refused")

    id = models.UUIDField(primary_key=True, editable=False)  # the device's change id
    device = models.ForeignKey(Device, models.PROTECT, related_name="receipts")
    candidate_id = models.UUIDField(null=True, blank=True)
    kind = models.CharField(max_length=16)
    via = models.CharField(max_length=8)  # "sync" or "bundle"
    status = models.CharField(max_length=8, choices=Status)
    version = models.PositiveIntegerField(null=True, blank=True)  # after the change
    message = models.CharField(max_length=300, blank=True)
    # When the server received the change (for a disc: when the county imported it) and
    # when the point keyed it, by the client's clock (E3-E5).
    received_at = models.DateTimeField(auto_now_add=True)
    keyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.id} {self.status}"


class Conflict(models.Model):
    """A change based on a version the server has since moved past, or keyed after its
    window closed or received after the grace (截止后修改): nothing is overwritten; a
    person keeps the point's values, the server's, or chooses per field."""

    class Reason(models.TextChoices):
        STALE = "stale", _("Changed on the server meanwhile")
        AFTER_DEADLINE = "after_deadline", _("Changed after the deadline")
        # A candidate taken in on a point client under a number another record holds (or
        # reserved to another point client): saved without a number, the county gives
        # it a fresh one (issue 20).
        NUMBER_TAKEN = "number_taken", _("Registration number taken")

    class Resolution(models.TextChoices):
        POINT = "point", _("Kept the point's values")
        SERVER = "server", _("Kept the server's values")
        FIELDS = "fields", _("Chosen field by field")
        NUMBER = "number", _("Gave a fresh registration number")

    reason = models.CharField(_("reason"), max_length=16, choices=Reason, default=Reason.STALE)
    receipt = models.OneToOneField(Receipt, models.PROTECT, related_name="conflict")
    candidate = models.ForeignKey(
        Candidate, models.CASCADE, related_name="sync_conflicts", verbose_name=_("candidate")
    )
    base_version = models.PositiveIntegerField(_("version the point started from"))
    server_version = models.PositiveIntegerField(_("server's version then"))
    point_values = models.JSONField(_("the point's values"))
    server_values = models.JSONField(_("the server's values then"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    resolution = models.CharField(_("resolution"), max_length=8, choices=Resolution, blank=True)
    chosen = models.JSONField(_("values kept"), default=dict, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = scoped_manager(county="candidate__point__county", point="candidate__point")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sync conflict")
        verbose_name_plural = _("sync conflicts")

    def __str__(self) -> str:
        return f"{self.candidate} v{self.base_version}→v{self.server_version}"


class PhotoUpload(models.Model):
    """A photo sent in pieces: the device names it, says its size and SHA-256, and sends
    bytes from where the server says it has got to; complete and intact, it becomes the
    candidate's photo once."""

    id = models.UUIDField(primary_key=True, editable=False)  # the device's photo id
    device = models.ForeignKey(Device, models.PROTECT, related_name="photo_uploads")
    candidate = models.ForeignKey(Candidate, models.CASCADE, related_name="+")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    received = models.PositiveIntegerField(default=0)
    data = models.BinaryField(default=b"")  # until complete (at most one photo's bytes)
    photo_id = models.UUIDField(null=True, blank=True)  # the CandidatePhoto made of it
    # Where the photo came from and the point's note, as the point recorded them (E4, E6).
    source = models.CharField(max_length=8, default="camera")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.id} {self.received}/{self.size}"
