"""Registration progress (S6: "point and office staff see registration progress live"):
how many of a jurisdiction's candidates have reached each state, by the unit one level
below and by subject track, in one aggregate query each; and the candidates behind any
number (drill-down), through the same definitions.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.models import Candidate, Stage
from gaokao.photos.models import CandidatePhoto
from gaokao.proofreading.services import proofread_q
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.seasons.models import Season

SUBMITTED_BY_POINT = [Stage.COUNTY, Stage.CITY, Stage.PROVINCE, Stage.ACCEPTED]


@dataclass(frozen=True)
class State:
    key: str
    label: str

    def q(self) -> Q:
        return STATE_Q[self.key]()


STATE_Q = {
    "total": lambda: Q(),
    "card": lambda: Q(credentials_issued_at__isnull=False),
    "signed_in": lambda: ~Q(confirmation_password=""),
    "data": lambda: Q(data_saved_at__isnull=False),
    "photo": lambda: Q(
        Exists(CandidatePhoto.objects.filter(candidate=OuterRef("pk"), is_current=True))
    ),
    "fee": lambda: Q(fee_fen__isnull=False),
    "proofread": proofread_q,
    "by_point": lambda: Q(stage__in=SUBMITTED_BY_POINT),
    "by_county": lambda: Q(stage__in=SUBMITTED_BY_POINT[1:]),
    "by_city": lambda: Q(stage__in=SUBMITTED_BY_POINT[2:]),
    "accepted": lambda: Q(stage=Stage.ACCEPTED),
}
STATES = [
    State("total", _("Taken in")),
    State("card", _("Login card issued")),
    State("signed_in", _("Signed in")),
    State("data", _("Data entered")),
    State("photo", _("Photo")),
    State("fee", _("Fee paid")),
    State("proofread", _("Proofread")),
    State("by_point", _("Submitted by the point")),
    State("by_county", _("Submitted by the county")),
    State("by_city", _("Submitted by the city")),
    State("accepted", _("Accepted")),
]

# The unit one level below each role, as a lookup from Candidate.
UNIT_BELOW = {
    "province": "point__county__parent",
    "city": "point__county",
    "county": "point",
    "point": "point",
}


def candidates(user) -> QuerySet:
    season = Season.objects.filter(is_current=True).first()
    return Candidate.objects.visible_to(user).filter(season=season)


def _counts(qs: QuerySet, group: str) -> dict:
    annotations = {s.key: Count("pk", filter=s.q()) for s in STATES}
    return {row[group]: row for row in qs.values(group).annotate(**annotations).order_by(group)}


def by_unit(user) -> list[dict]:
    """One row per unit below the user (those without candidates too), and the total."""
    group = UNIT_BELOW[user.role]
    counts = _counts(candidates(user), group)
    if group == "point":
        units = RegistrationPoint.objects.visible_to(user).order_by("code")
    else:
        units = Region.objects.visible_to(user).filter(
            level="city" if user.role == "province" else "county"
        )
    rows = [
        {"unit": u, "code": u.code, "counts": [counts.get(u.pk, {}).get(s.key, 0) for s in STATES]}
        for u in units
    ]
    return rows


def by_track(user) -> list[dict]:
    counts = _counts(candidates(user), "subject_track")
    return [
        {"track": track, "counts": [row[s.key] for s in STATES]} for track, row in counts.items()
    ]


def totals(rows: list[dict]) -> list[int]:
    return [sum(r["counts"][i] for r in rows) for i in range(len(STATES))]


def drill_down(user, state: str, unit: str = "", track: str = "") -> QuerySet:
    """The candidates behind one number of the dashboard (unit code and track optional);
    a unit outside the user's jurisdiction simply has no candidates here."""
    if state not in STATE_Q:
        return Candidate.objects.none()
    qs = candidates(user).filter(STATE_Q[state]())
    if unit:
        qs = qs.filter(
            Q(point__code=unit) | Q(point__county__code=unit) | Q(point__county__parent__code=unit)
        )
    if track:
        qs = qs.filter(subject_track=track)
    return qs
