"""The province's extensions page (延期, E3, E6, E7): the current season's phases with their
own close, the extensions granted, a form to grant more, and withdrawal behind a
confirmation. The phases page sets each phase's dates and each level's cut-off (issue
19), audited. Thin: the rules are in gaokao.seasons.services."""

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from gaokao.accounts.models import Role
from gaokao.codes import fees as fee_table
from gaokao.office.seasons.forms import ExtensionForm, FeesForm, PhaseForm
from gaokao.seasons import NoCurrentSeason, current, services
from gaokao.seasons.models import Extension, Level, Phase
from gaokao.web.access import roles_required

province_only = roles_required(Role.PROVINCE)


@province_only
@require_http_methods(["GET", "POST"])
def extensions(request):
    try:
        season = current()
    except NoCurrentSeason:  # the page says so itself, with the province's own links
        season = None
    if season is None or season.province_id != request.user.region_id:
        return render(request, "seasons/extensions.html", {"season": None})
    form = ExtensionForm(request.POST or None, season=season)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            granted = services.grant_extension(
                data["phase"],
                data["region_objects"],
                data["ends_at"],
                data["reason"],
                by=request.user,
                request=request,
            )
        except services.ExtensionRefused as e:
            form.add_error(None, e)
        else:
            messages.success(
                request,
                ngettext(
                    "Extension granted to %(n)d region.",
                    "Extension granted to %(n)d regions.",
                    len(granted),
                )
                % {"n": len(granted)},
            )
            return redirect("seasons:extensions")
    granted = list(services.extensions_of(season))
    events = services.granted_by(granted)
    for extension in granted:
        extension.granted_event = events.get(extension.pk)
    context = {
        "season": season,
        "phases": season.phases.annotate(n_extensions=Count("extensions")),
        "extensions": granted,
        "form": form,
    }
    return render(request, "seasons/extensions.html", context)


@province_only
@require_http_methods(["GET", "POST"])
def withdraw(request, pk: int):
    """GET asks for confirmation; only the POST withdraws."""
    extension = (
        Extension.objects.select_related("phase__season", "region")
        .filter(pk=pk, phase__season__province=request.user.region_id)
        .first()
    )
    if extension is None:
        raise Http404
    if request.method == "POST":
        if services.withdraw_extension(extension, by=request.user, request=request):
            messages.success(
                request,
                _("The extension for %(region)s is withdrawn.") % {"region": extension.region},
            )
        return redirect("seasons:extensions")
    return render(request, "seasons/withdraw.html", {"extension": extension})


@province_only
@require_http_methods(["GET", "POST"])
def fees(request):
    """报名费 (S5): the registration fee of each subject track in the current season, which
    the points take at intake; every change is audited with its diff and reason."""
    try:
        season = current()
    except NoCurrentSeason:
        season = None
    if season is None or season.province_id != request.user.region_id:
        return render(request, "seasons/fees.html", {"season": None})
    form = FeesForm(request.POST or None, rows=fee_table.fee_table(season))
    if request.method == "POST" and form.is_valid():
        try:
            diff = fee_table.save_fees(
                season,
                form.fees(),
                reason=form.cleaned_data["reason"],
                by=request.user,
                request=request,
            )
        except fee_table.FeesRefused as e:
            form.add_error(None, str(e))
        else:
            if diff:
                messages.success(request, _("The registration fees are saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("seasons:fees")
    return render(request, "seasons/fees.html", {"season": season, "form": form})


def _own_season(request):
    """The current season if it is the signed-in province's, else None."""
    try:
        season = current()
    except NoCurrentSeason:
        return None
    return season if season.province_id == request.user.region_id else None


@province_only
def phases(request):
    """时间安排: the current season's phases, each with its window and each level's cut-off
    (a default shown as such), and a link to change them."""
    season = _own_season(request)
    rows = []
    if season is not None:
        for phase in season.phases.all():
            cutoffs = [(level, getattr(phase, f"{level}_cutoff")) for level in Level]
            rows.append({"phase": phase, "cutoffs": cutoffs})
    return render(
        request, "seasons/phases.html", {"season": season, "rows": rows, "levels": list(Level)}
    )


@province_only
@require_http_methods(["GET", "POST"])
def phase(request, pk: int):
    """One phase's dates: a refusal shows the form again with what was typed."""
    season = _own_season(request)
    found = Phase.objects.filter(pk=pk, season=season).select_related("season").first()
    if season is None or found is None:
        raise Http404
    form = PhaseForm(request.POST or None, phase=found)
    if request.method == "POST" and form.is_valid():
        try:
            diff = services.save_phase(
                found,
                form.dates(),
                reason=form.cleaned_data["reason"],
                by=request.user,
                request=request,
            )
        except services.PhaseRefused as e:
            form.add_error(None, e)
        else:
            if diff:
                messages.success(
                    request,
                    _("The dates of %(phase)s are saved.") % {"phase": found.get_kind_display()},
                )
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("seasons:phases")
    return render(request, "seasons/phase.html", {"season": season, "phase": found, "form": form})
