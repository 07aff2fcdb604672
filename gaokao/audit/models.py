"""审计 — the audit trail's rows: every kind of action, the events and the heads of their hash
chains."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.regions.models import OwnedByUnit, unit_check


class Action(models.TextChoices):
    """Every kind of event the trail records. Each capability adds its own."""

    LOGIN = "auth.login", _("Signed in")
    LOGIN_FAILED = "auth.login_failed", _("Sign-in failed")
    TOTP_FAILED = "auth.totp_failed", _("Wrong authenticator code")
    LOCKED_OUT = "auth.locked_out", _("Locked out after repeated failures")
    LOGOUT = "auth.logout", _("Signed out")
    REAL_NAME_VERIFIED = "account.real_name_verified", _("Real-name authentication completed")
    ACCOUNT_CREATED = "account.created", _("Account created")
    ACCOUNT_DISABLED = "account.disabled", _("Account disabled")
    ACCOUNT_ENABLED = "account.enabled", _("Account enabled")
    PASSWORD_RESET = "account.password_reset", _("Password reset")
    PASSWORD_CHANGED = "account.password_changed", _("Password changed")
    TOTP_RESET = "account.totp_reset", _("Authenticator reset")
    SLIPS_PRINTED = "account.slips_printed", _("Credential slips printed")
    RANGE_SAVED = "numbering.range_saved", _("Number range saved")
    RANGE_DELETED = "numbering.range_deleted", _("Number range deleted")
    CANDIDATE_TAKEN_IN = "candidates.taken_in", _("Candidate taken in")
    DUPLICATE_REFUSED = "candidates.duplicate_refused", _("Duplicate registration refused")
    CANDIDATE_REVIEWED = "candidates.reviewed", _("Identity path reviewed")
    IDENTITY_VERIFIED = "candidates.identity_verified", _("Identity verified with the ID card")
    CARD_WAIVED = (
        "candidates.card_waived",
        _("Registration without a card read allowed by the city"),
    )
    REVIEW_RESUBMITTED = (
        "candidates.review_resubmitted",
        _("Rejected identity resubmitted for review"),
    )
    POINT_CHECKS_RECORDED = "candidates.point_checks", _("Documents, fee and eligibility recorded")
    LOGIN_CARDS_ISSUED = "candidates.login_cards", _("Login cards issued")
    CANDIDATE_DATA_SAVED = "candidates.data_saved", _("Candidate saved their data")
    CONFIRMATION_FAILED = "candidates.confirmation_failed", _("Wrong confirmation password")
    REVIEW_FORM_PRINTED = "candidates.review_form", _("Eligibility review form printed")
    NOTICE_POSTED = "notices.posted", _("Notice posted")
    NOTICE_WITHDRAWN = "notices.withdrawn", _("Notice withdrawn")
    PHOTO_ADDED = "photos.added", _("Photo added")
    PHOTO_REJECTED = "photos.rejected", _("Photo refused")
    PROFESSIONAL_CHOSEN = "payments.chosen", _("Professional exam chosen")
    PROFESSIONAL_WITHDRAWN = "payments.withdrawn", _("Unpaid professional exam withdrawn")
    PAYMENT_STARTED = "payments.started", _("Payment started")
    PAYMENT_RECEIVED = "payments.received", _("Payment received")
    PAYMENT_FLAGGED = "payments.flagged", _("Payment flagged for review")
    REGISTRATIONS_LAPSED = "payments.lapsed", _("Unpaid registrations ended at the deadline")
    PROFESSIONAL_EXPORTED = "payments.exported", _("Professional exam list exported")
    PROOFREAD_SIGNED = "proofreading.signed", _("Proofreading signed by the candidate")
    PROOFREAD_PHONE = "proofreading.phone", _("Confirmation by phone recorded")
    IDENTITY_CHECKED_MANUALLY = (
        "proofreading.identity_checked",
        _("Identity checked by hand against the ID card"),
    )
    PROOFREAD_PRINTED = "proofreading.printed", _("Proofreading sheets printed")
    CANDIDATE_CORRECTED = "candidates.corrected", _("Corrected at the point")
    COMMENT_SAVED = "comments.saved", _("Comment saved")
    COMMENTS_IMPORTED = "comments.imported", _("Comments imported")
    COMMENT_TEMPLATE_SAVED = "comments.template", _("Comment template saved")
    COMMENT_TEMPLATE_DELETED = "comments.template_deleted", _("Comment template deleted")
    RESULTS_IMPORTED = "results.imported", _("Results imported")
    CANDIDATES_EXPORTED = "exports.candidates", _("Candidates exported")
    PHOTOS_EXPORTED = "exports.photos", _("Photos exported")
    SUBMITTED = "submission.submitted", _("Submitted to the level above")
    RETURNED = "submission.returned", _("Returned to the level below")
    ACCEPTED = "submission.accepted", _("Accepted by the province")
    DEVICE_ENROLLED = "sync.enrolled", _("Point client enrolled")
    DEVICE_REVOKED = "sync.revoked", _("Point client revoked")
    SYNC_APPLIED = "sync.applied", _("Change from a point client applied")
    SYNC_CONFLICT = "sync.conflict", _("Change from a point client in conflict")
    SYNC_REFUSED = "sync.refused", _("Change from a point client refused")
    CONFLICT_RESOLVED = "sync.resolved", _("Sync conflict resolved")
    BUNDLE_IMPORTED = "bundles.imported", _("Disc bundle imported")
    BUNDLE_REFUSED = "bundles.refused", _("Disc bundle refused")
    PAUSED = "gate.paused", _("Paused")
    RESUMED = "gate.resumed", _("Pause lifted")
    SLOTS_SAVED = "gate.slots_saved", _("Portal time slots saved")
    SLOTS_DELETED = "gate.slots_deleted", _("Portal time slots deleted")
    ADMISSION_CHANGED = "gate.admission", _("Admission limit changed")
    EXTENSION_GRANTED = "seasons.extension_granted", _("Extension granted")
    EXTENSION_WITHDRAWN = "seasons.extension_withdrawn", _("Extension withdrawn")
    INCIDENT_REPORTED = "incidents.reported", _("Incident reported")
    INCIDENT_COMMENTED = "incidents.commented", _("Incident commented")
    INCIDENT_ESCALATED = "incidents.escalated", _("Incident passed up")
    INCIDENT_RESOLVED = "incidents.resolved", _("Incident resolved")
    INCIDENT_REOPENED = "incidents.reopened", _("Incident reopened")
    BACKUP_WRITTEN = "ops.backup", _("Backup written")
    BACKUP_RESTORED = "ops.restored", _("Backup restored")
    IDENTITY_VIEWED = "privacy.identity_viewed", _("Full ID number viewed")
    KEYS_ROTATED = "privacy.rotated", _("Encryption keys rotated")
    REAUTHENTICATED = "auth.reauthenticated", _("Password and code confirmed again")
    PURGED = "retention.purged", _("Personal data of a closed season removed")
    CONFIG_ADDED = "config.added", _("Configuration added")
    CONFIG_CHANGED = "config.changed", _("Configuration changed")
    CONFIG_DELETED = "config.deleted", _("Configuration deleted")
    FEES_SAVED = "seasons.fees_saved", _("Registration fees saved")


class AuditEvent(OwnedByUnit):
    """审计日志 — one append-only record of who did what, when, from where.

    `region`/`point` name the unit the event belongs to (`OwnedByUnit`), which decides who
    may read it (the unit's own staff and every level above). An event with no unit of its
    own belongs to the province; only before any province exists does it belong to none,
    hence `unit_required = False`. `detail` holds what changed.
    """

    unit_required = False

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_label = models.CharField(_("by"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=48, choices=Action, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    target = models.CharField(_("object"), max_length=200, blank=True)
    # The object as data, when it is a model instance: its label ("candidates.candidate")
    # and primary key. `target` is only its name at the time, for display.
    target_type = models.CharField(max_length=100, blank=True, editable=False)
    target_id = models.CharField(max_length=64, blank=True, editable=False)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    # The hash chain (gaokao.audit.chain): one chain per unit and day, so that writers of
    # different units never wait for each other; `hash` is an HMAC over the event's fields,
    # `seq` and the hash of the event before it in the chain.
    chain = models.CharField(max_length=40, blank=True, editable=False)
    seq = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_event_target")]
        constraints = [
            unit_check(required=False),
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_chain_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.get_action_display()}"

    @property
    def change_rows(self) -> list[tuple[str, object, object]]:
        """(field, before, after) of a configuration change (gaokao.audit.config), for the
        audit page; the candidates' own data is not shown there."""
        changes = (self.detail or {}).get("changes")
        if not isinstance(changes, dict):
            return []
        return [
            (name, *values) if isinstance(values, list) and len(values) == 2 else (name, "", values)
            for name, values in changes.items()
        ]


class AuditChainHead(models.Model):
    """The last event of one chain: the row each writer locks to append, and the check
    that the newest events of a chain were not removed."""

    chain = models.CharField(max_length=40, primary_key=True)
    day = models.DateField(db_index=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq}"
