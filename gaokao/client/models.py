"""The point client's own tables (客户版, R4, E4, E5): its enrolment, the outbox of work not
yet acknowledged by the central server, and the version the server last confirmed of each
candidate. The tables exist on the central server too, and stay empty there."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from gaokao.privacy.fields import EncryptedJSONField


class ClientState(models.Model):
    """The enrolment of this installation (one row, pk 1): where the server is, who this
    device is, and how the last sync went. The token is the device's bearer secret; the
    database file is as private as the device key beside it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    server_url = models.URLField(_("server"), max_length=200)
    device_id = models.UUIDField(_("device"))
    token = models.CharField(max_length=200)
    username = models.CharField(_("enrolled by"), max_length=150, blank=True)
    point_code = models.CharField(_("point code"), max_length=7)
    cursor = models.CharField(max_length=500, blank=True)
    # The server's X25519 key that disc bundles are encrypted for (Base64): from the
    # enrolment's answer, or given with `client export --server-key`. A different key in a
    # later pull is not trusted silently: it waits here until a person confirms it.
    bundle_public_key = models.CharField(max_length=64, blank=True)
    bundle_key_offered = models.CharField(max_length=64, blank=True)
    config_sha256 = models.CharField(max_length=64, blank=True)  # the last config applied
    # The local sign-in made at enrolment, kept until the first pull brought the point
    # (user name, password hash, authenticator key); then it becomes a local account.
    local_account = models.JSONField(default=dict, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled at"), auto_now_add=True)
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    last_sync_ok = models.BooleanField(_("last sync succeeded"), null=True)
    last_sync_result = models.CharField(_("last sync result"), max_length=500, blank=True)
    last_success_at = models.DateTimeField(_("last successful sync"), null=True, blank=True)
    last_export_at = models.DateTimeField(_("last bundle written"), null=True, blank=True)
    # The server's reading of this PC's clock at the last push (E3-E5): keyed-at times
    # come from it, so a clock off by more than the province allows is flagged.
    clock_skew_seconds = models.IntegerField(_("clock off by (seconds)"), null=True, blank=True)
    clock_flagged = models.BooleanField(_("clock off"), default=False)

    class Meta:
        verbose_name = _("point client state")
        verbose_name_plural = _("point client state")

    def __str__(self) -> str:
        return f"{self.point_code} @ {self.server_url}"

    @classmethod
    def load(cls) -> "ClientState | None":
        return cls.objects.filter(pk=1).first()

    @classmethod
    def enrolled_device(cls) -> uuid.UUID | None:
        """This installation's device id, whose number blocks its intake uses (issue 20)."""
        return cls.objects.filter(pk=1).values_list("device_id", flat=True).first()


class Outbox(models.Model):
    """待上传 — one piece of local work the server has not acknowledged: a change of a
    candidate (the sync contract's change, whose id is the server's idempotency key) or a
    photo. An entry leaves the outbox only on the server's answer naming its id; a change
    refused or in conflict stays, marked as needing attention, with the server's message.
    The content holds the candidate's data, ID number included: it is encrypted at rest
    with the installation's data key, like the candidates' own columns."""

    class Kind(models.TextChoices):
        CHANGE = "change", _("Change")
        PHOTO = "photo", _("Photo")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        ATTENTION = "attention", _("Needs attention")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    candidate_id = models.UUIDField(_("candidate"), db_index=True)
    payload = EncryptedJSONField(_("content"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PENDING)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # The server's answer that put the entry in the attention list: "refused" or "conflict".
    answer = models.CharField(_("answer"), max_length=10, blank=True)
    # Set when the entry first leaves the device (sync or bundle): from then on its content
    # is frozen, and a later local edit queues a new entry behind it.
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox")

    def __str__(self) -> str:
        return f"{self.kind} {self.candidate_id} {self.state}"

    @property
    def description(self) -> str:
        """What the entry is, as the 待同步 page names it: a new candidate, a change of one
        the server has, or a photo."""
        if self.kind == self.Kind.CHANGE and self.payload.get("kind") == "create":
            return _("New candidate")
        if (
            self.kind == self.Kind.CHANGE
            and self.payload.get("card")
            and not self.payload.get("fields")
        ):
            return _("Login card")
        return self.get_kind_display()


class Known(models.Model):
    """What the server last confirmed of a candidate: its version (the base of the point's
    next update) and the values of the synced fields then (so that a save changing none of
    them queues nothing, and an update carries only what the point changed); encrypted at
    rest, since the fields include the ID number."""

    candidate_id = models.UUIDField(primary_key=True)
    version = models.PositiveIntegerField()
    fields = EncryptedJSONField(default=dict)
    # When the login card the server last answered for was issued here (issue 20): a card
    # issued later on this PC goes up with the candidate's next change.
    card_issued_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.candidate_id} v{self.version}"
