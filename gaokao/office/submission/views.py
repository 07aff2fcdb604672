"""The submission page of each level (S9): what it holds, what keeps each candidate from
going up, and the buttons to submit, accept or return."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaokao.candidates.models import Candidate, Stage
from gaokao.codes.models import Code, Table
from gaokao.submission import services
from gaokao.web.access import roles_required

ALL = ("province", "city", "county", "point")
SHOWN_REFUSALS = 20


@roles_required(*ALL)
def index(request):
    role = request.user.role
    held = services.with_checks(services.held_by(request.user))
    track = request.GET.get("track", "")
    if track:
        held = held.filter(subject_track=track)
    page = Paginator(held.order_by("registration_number"), 100).get_page(request.GET.get("page"))
    rows = [
        {
            "c": c,
            "problems": [] if role == "province" else services.problems(c, role),
            "returned": services.last_return(c),
        }
        for c in page
    ]
    counts = dict(
        Candidate.objects.visible_to(request.user)
        .values_list("stage")
        .annotate(n=Count("pk"))
        .values_list("stage", "n")
    )
    context = {
        "rows": rows,
        "page": page,
        "track": track,
        "tracks": Code.objects.choices(Table.SUBJECT_TRACK),
        "stage": services.HOLDS[role],
        "next_stage": Stage(services.UP[services.HOLDS[role]]).label,
        "counts": [(Stage(s).label, counts.get(s, 0)) for s in Stage.values],
        "may_return": role != "point",
        "reason_limit": services.REASON_LIMIT,
    }
    return render(request, "submission/index.html", context)


def _report(request, outcome: services.BatchResult, done: str) -> None:
    if outcome.moved:
        messages.success(request, done % {"count": len(outcome.moved)})
    for number, why in list(outcome.refused.items())[:SHOWN_REFUSALS]:
        messages.warning(request, f"{number}：{'；'.join(why)}")
    if len(outcome.refused) > SHOWN_REFUSALS:
        messages.warning(
            request,
            _("… and %(count)d more not moved.") % {"count": len(outcome.refused) - SHOWN_REFUSALS},
        )
    if not outcome.moved and not outcome.refused:
        messages.info(request, _("Nothing was selected."))


def _selected(request) -> list[str]:
    if request.POST.get("all_held"):
        return list(services.held_by(request.user).values_list("pk", flat=True))
    return request.POST.getlist("c")


@require_POST
@roles_required(*ALL)
def submit(request):
    outcome = services.submit(request.user, _selected(request), request=request)
    done = (
        _("%(count)d candidates accepted.")
        if request.user.role == "province"
        else _("%(count)d candidates submitted to the level above.")
    )
    _report(request, outcome, done)
    return redirect("submission:index")


@require_POST
@roles_required("county", "city", "province")
def return_down(request):
    try:
        outcome = services.return_down(
            request.user,
            request.POST.getlist("c"),
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except ValueError as e:
        messages.error(request, str(e))
    else:
        _report(request, outcome, _("%(count)d candidates returned to the level below."))
    return redirect("submission:index")
