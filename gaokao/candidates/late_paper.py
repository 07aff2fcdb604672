"""Paper forms keyed in after the window (issue 19, item 4; E3-E5).

When power or the network was out, candidates filled in paper draft forms while the window
was open; the point keys them in when it can. If that is after the window closed, the form
is still taken, on three conditions, all checked here for the one change path
(gaokao.candidates.change_path):

- the form is dated inside the window (as it closes for the record's county, extensions
  included), and not in the future;
- an incident (突发事件) covering the record's point is open now, and the change names it;
- everything else the change path checks (jurisdiction, who, the stage, the values).

The change records the incident's number and the form's date in its audit event. An
extension for the unit needs none of this: it reopens the window itself.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from gaokao.candidates.errors import DataRefused
from gaokao.candidates.models import Candidate
from gaokao.candidates.stage import moment
from gaokao.incidents.models import Incident
from gaokao.seasons.models import PhaseKind


def open_incidents(candidate: Candidate):
    """The open incidents a late paper form of this record may be keyed in under."""
    return Incident.objects.open().covering(candidate.point).order_by("-reported_at", "-pk")


def check_late_form(
    candidate: Candidate,
    kind: str,
    *,
    form_dated: dt.date | None,
    incident: int | None,
    at: dt.datetime | None = None,
) -> Incident:
    """The open incident the late paper form of `candidate` is keyed in under, or the
    refusal (DataRefused "late_form") that says which condition is not met. `kind`: the
    phase (a PhaseKind) whose window has closed."""
    phase = candidate.season.phases.filter(kind=kind).first()
    if phase is None or form_dated is None or incident is None:
        raise DataRefused(
            _(
                "A paper form filled in while the window was open can be keyed in later only"
                " under an open incident of the point, with the date on the form."
            ),
            code="late_form",
        )
    found = open_incidents(candidate).filter(pk=incident).first()
    if found is None:
        raise DataRefused(
            _("Incident #%(n)s is not open for this point: the form cannot be keyed in late.")
            % {"n": incident},
            code="late_form",
        )
    now = timezone.localtime(at or timezone.now())
    opens = timezone.localtime(phase.starts_at)
    closes = timezone.localtime(phase.ends_at_for(candidate.point.county))
    if form_dated > now.date():
        problem = _("The date on the form, %(date)s, is in the future.")
    elif not opens.date() <= form_dated <= closes.date():
        problem = _(
            "The form is dated %(date)s, outside %(phase)s (%(opens)s to %(closes)s): only a"
            " form filled in while the window was open can be keyed in late."
        )
    else:
        return found
    raise DataRefused(
        problem
        % {
            "date": date_format(form_dated, "Y-m-d"),
            "phase": PhaseKind(kind).label,
            "opens": moment(phase.starts_at),
            "closes": moment(phase.ends_at_for(candidate.point.county)),
        },
        code="late_form",
    )
