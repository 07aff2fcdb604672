"""The county's number-range pages (S2). County staff only: other roles get 403, and a range
of another county answers 404 like a missing one."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from gaokao.accounts.models import Role
from gaokao.codes.models import Code, Table
from gaokao.numbering import services
from gaokao.numbering.models import NumberRange
from gaokao.numbering.services import RangeRefused
from gaokao.office.numbering.forms import (
    AddRangeForm,
    ExpectedCountsForm,
    RangeRowForm,
    RangeRowFormSet,
)
from gaokao.regions.jurisdiction import get_visible_or_404
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.seasons import NoCurrentSeason, current
from gaokao.seasons.models import Season


def county_for(request) -> Region:
    """The signed-in county office's county; any other role may not manage ranges."""
    if request.user.role != Role.COUNTY:
        raise PermissionDenied
    return get_visible_or_404(Region.objects, request.user, pk=request.user.region_id)


def choices_for(request, county: Region, *, number_range: NumberRange | None = None) -> dict:
    """The points and tracks a county may plan ranges for, as form keyword arguments: its
    active points and the subject tracks in use, plus those of the range being edited."""
    points = RegistrationPoint.objects.visible_to(request.user).filter(county=county)
    tracks = Code.objects.filter(table=Table.SUBJECT_TRACK)
    if number_range is None:
        return {"points": points.filter(is_active=True), "tracks": tracks.filter(is_active=True)}
    return {
        "points": points.filter(Q(is_active=True) | Q(pk=number_range.point_id)),
        "tracks": tracks.filter(Q(is_active=True) | Q(pk=number_range.subject_track_id)),
    }


def in_current_season(view):
    """County staff only; the view gets the county and the current season, and without a
    season the ranges page says why nothing can be planned yet."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        county = county_for(request)
        try:
            season = current()
        except NoCurrentSeason:
            return render(request, "numbering/ranges.html", {"county": county, "season": None})
        return view(request, county, season, *args, **kwargs)

    return wrapper


@in_current_season
def ranges(request, county: Region, season: Season):
    choices = choices_for(request, county)
    context = {
        "county": county,
        "season": season,
        "add_form": AddRangeForm(**choices),
        **services.overview(county, season, choices["points"], choices["tracks"]),
    }
    return render(request, "numbering/ranges.html", context)


@in_current_season
@require_http_methods(["GET", "POST"])
def plan(request, county: Region, season: Season):
    choices = choices_for(request, county)
    data = request.POST if request.method == "POST" else None
    expected_form = ExpectedCountsForm(data, **choices)
    formset, refusal = None, None
    action = request.POST.get("action")
    if action == "propose" and expected_form.is_valid():
        try:
            proposals = services.propose(county, season, expected_form.expected())
        except RangeRefused as e:
            refusal = e
        else:
            formset = RangeRowFormSet(
                initial=[
                    {
                        "point": r.point.pk,
                        "track": r.track.pk,
                        "first": r.first,
                        "last": r.last,
                        "expected_count": r.expected_count,
                    }
                    for r in proposals
                ],
                prefix="ranges",
                form_kwargs=choices,
            )
    elif action == "save":
        formset = RangeRowFormSet(data, prefix="ranges", form_kwargs=choices)
        if formset.is_valid():
            rows = formset.rows()
            try:
                if not rows:
                    raise RangeRefused(_("There is no range to save."), code="nothing_to_save")
                saved = services.save_ranges(county, season, rows, by=request.user, request=request)
            except RangeRefused as e:
                refusal = e
            else:
                messages.success(
                    request,
                    ngettext(
                        "Saved %(count)d number range.",
                        "Saved %(count)d number ranges.",
                        len(saved),
                    )
                    % {"count": len(saved)},
                )
                return redirect("numbering:ranges")
    context = {
        "county": county,
        "season": season,
        "expected_form": expected_form,
        "formset": formset,
        "refusal": refusal.messages if refusal else [],
        "show_expected_errors": action == "propose",
        "next_free": services.next_free_serial(county, season),
    }
    return render(request, "numbering/plan.html", context)


@in_current_season
@require_http_methods(["GET", "POST"])
def add(request, county: Region, season: Season):
    choices = choices_for(request, county)
    if request.method == "POST":
        form = AddRangeForm(request.POST, **choices)
        if form.is_valid():
            d = form.cleaned_data
            try:
                created = services.add_range(
                    county,
                    season,
                    d["point"],
                    d["track"],
                    d["size"],
                    by=request.user,
                    request=request,
                )
            except RangeRefused as e:
                form.add_error(None, e)
            else:
                messages.success(
                    request,
                    _("Added the range %(range)s for %(point)s (%(track)s).")
                    % {
                        "range": created,
                        "point": created.point,
                        "track": created.subject_track.name,
                    },
                )
                return redirect("numbering:ranges")
    else:
        form = AddRangeForm(initial=request.GET.dict(), **choices)
    return render(request, "numbering/add.html", {"county": county, "season": season, "form": form})


def range_for(request, pk: int) -> NumberRange:
    return get_visible_or_404(
        NumberRange.objects.select_related("point__county", "subject_track", "season"),
        request.user,
        pk=pk,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    county = county_for(request)
    number_range = range_for(request, pk)
    choices = choices_for(request, county, number_range=number_range)
    initial = {
        "pk": number_range.pk,
        "point": number_range.point_id,
        "track": number_range.subject_track_id,
        "first": number_range.first,
        "last": number_range.last,
        "expected_count": number_range.expected_count,
    }
    if request.method == "POST":
        form = RangeRowForm(request.POST, initial=initial, **choices)
        if form.is_valid():
            row = form.to_row()
            row.pk = number_range.pk  # the URL names the range, never the posted data
            try:
                services.save_ranges(
                    county, number_range.season, [row], by=request.user, request=request
                )
            except RangeRefused as e:
                form.add_error(None, e)
            else:
                messages.success(request, _("Saved the number range."))
                return redirect("numbering:ranges")
    else:
        form = RangeRowForm(initial=initial, **choices)
    context = {"county": county, "number_range": number_range, "form": form}
    return render(request, "numbering/edit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request, pk: int):
    county = county_for(request)
    number_range = range_for(request, pk)
    refusal = []
    if request.method == "POST":
        try:
            services.delete_range(number_range, by=request.user, request=request)
        except RangeRefused as e:
            refusal = e.messages
        else:
            messages.success(request, _("Deleted the range %(range)s.") % {"range": number_range})
            return redirect("numbering:ranges")
    context = {"county": county, "number_range": number_range, "refusal": refusal}
    return render(request, "numbering/delete.html", context)
