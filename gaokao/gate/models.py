"""What every app server reads before letting a request in (E1, E3). The state lives in the
database, shared by all app servers; each process caches its read of the pause for a
couple of seconds (see `gaokao.gate.services`)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gaokao.regions.models import Region


class Scope(models.TextChoices):
    """What a pause stops."""

    PORTAL = "portal", _("Candidate portal")
    OFFICE = "office", _("Office web of the levels below")


class Pause(models.Model):
    """暂停服务 — a paused part of the site. A row means paused; lifting deletes it."""

    scope = models.CharField(_("what"), max_length=8, choices=Scope, primary_key=True)
    message = models.TextField(_("message"), max_length=500)
    since = models.DateTimeField(_("paused since"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["scope"]
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")

    def __str__(self) -> str:
        return self.get_scope_display()


class Admission(models.Model):
    """限流设置 — the one row holding the cap on concurrently active candidate sessions
    (0: no limit). Admission decisions lock this row, so that sign-ins on several app
    servers never take more seats than the cap."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    cap = models.PositiveIntegerField(_("active candidate sessions at most"), default=0)

    class Meta:
        verbose_name = _("admission limit")
        verbose_name_plural = _("admission limit")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="admission_one_row")]

    def __str__(self) -> str:
        return str(self.cap)


class Seat(models.Model):
    """One signed-in candidate, counted against the cap. Refreshed by the candidate's portal
    requests (at most once a minute); a seat not refreshed for the portal's idle limit has
    expired, and sign-out frees it."""

    candidate = models.OneToOneField(
        "candidates.Candidate", models.CASCADE, related_name="+", verbose_name=_("candidate")
    )
    since = models.DateTimeField(_("since"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("active session")
        verbose_name_plural = _("active sessions")

    def __str__(self) -> str:
        return str(self.candidate_id)


class Ticket(models.Model):
    """排队号 — a candidate whose password was right but who found no free seat. The browser
    holds the token in its session and its waiting page polls; the queue is in id order.
    A ticket whose page stopped polling drops out; an admitted one is kept a few minutes
    for the estimate of the wait."""

    token = models.CharField(max_length=43, unique=True)
    candidate = models.ForeignKey("candidates.Candidate", models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    last_poll = models.DateTimeField(db_index=True)
    admitted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("waiting ticket")
        verbose_name_plural = _("waiting tickets")

    def __str__(self) -> str:
        return str(self.pk)


class TimeSlot(models.Model):
    """网报时段 — cities or counties whose candidates may sign in to the portal only within
    these hours on these days. A region without a slot on a day is not restricted that
    day; a county is covered by its own slots and its city's."""

    name = models.CharField(_("name"), max_length=60)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    starts = models.TimeField(_("daily from"))
    ends = models.TimeField(_("daily until"))
    regions = models.ManyToManyField(Region, related_name="+", verbose_name=_("regions"))

    class Meta:
        ordering = ["first_day", "starts", "name"]
        verbose_name = _("portal time slot")
        verbose_name_plural = _("portal time slots")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts__lt=models.F("ends")), name="timeslot_starts_before_ends"
            ),
            models.CheckConstraint(
                condition=models.Q(first_day__lte=models.F("last_day")),
                name="timeslot_first_day_not_after_last",
            ),
        ]

    def __str__(self) -> str:
        return self.name
