"""The progress dashboard of every level, refreshed in place, and its drill-down lists."""

from django.core.paginator import Paginator
from django.shortcuts import render

from gaokao.codes.models import Code, Table
from gaokao.progress import services
from gaokao.web.access import roles_required

ALL = ("province", "city", "county", "point")
CHART_STATE = "by_point"  # the bar chart shows the share submitted by the points


@roles_required(*ALL)
def dashboard(request):
    season = services.dashboard_season()  # once for both tables
    units = services.with_cutoffs(request.user, services.by_unit(request.user, season), season)
    track_names = dict(Code.objects.choices(Table.SUBJECT_TRACK))
    tracks = [
        dict(r, name=track_names.get(r["track"], r["track"]))
        for r in services.by_track(request.user, season)
    ]
    keys = [s.key for s in services.STATES]
    index = keys.index(CHART_STATE)
    for n, row in enumerate([*units, *tracks]):
        row["cells"] = list(zip(keys, row["counts"], strict=True))
        total = row["counts"][0]
        row["share"] = round(100 * row["counts"][index] / total) if total else 0
        row["y"] = n * 20
    context = {
        "states": services.STATES,
        "units": units,
        "tracks": tracks,
        "totals": services.totals(units),
        "chart_label": services.STATES[index].label,
        "chart_height": 20 * len(units),
    }
    template = "progress/_tables.html" if request.htmx else "progress/dashboard.html"
    return render(request, template, context)


@roles_required(*ALL)
def drill_down(request):
    state = request.GET.get("state", "total")
    qs = services.drill_down(
        request.user, state, unit=request.GET.get("unit", ""), track=request.GET.get("track", "")
    ).select_related("point")
    page = Paginator(qs.order_by("registration_number"), 100).get_page(request.GET.get("page"))
    labels = {s.key: s.label for s in services.STATES}
    context = {"page": page, "state_label": labels.get(state, ""), "query": request.GET.urlencode()}
    return render(request, "progress/list.html", context)
