"""Incident pages of the office web (E8): the list (the province's board of open incidents),
the report form, and one incident's timeline with its actions.

Thin: each view parses the request and calls gaokao.incidents.services. Incidents are
fetched through `visible_to`, so another county's or city's incident answers 404 like a
missing one.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gaokao.accounts.models import Role
from gaokao.incidents import services
from gaokao.incidents.guidance import MAY_NEED_EXTENSION, STEPS
from gaokao.incidents.models import Incident
from gaokao.office.incidents.forms import BoardFilterForm, ReportForm, TextForm
from gaokao.regions.jurisdiction import get_visible_or_404
from gaokao.web.access import roles_required

PAGE_SIZE = 50
staff = roles_required(Role.PROVINCE, Role.CITY, Role.COUNTY, Role.POINT)


@staff
@require_GET
def incident_list(request):
    """突发事件 — the incidents the user sees; for the province, the board of open incidents
    of the whole province, with counts by kind."""
    filters = BoardFilterForm(request.GET or None, user=request.user)
    chosen = filters.filters()
    incidents, by_kind = services.board(request.user, **chosen)
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "chosen": chosen,
        "page": page,
        "by_kind": by_kind,
        "total": sum(n for _value, _label, n in by_kind),
        "is_board": request.user.role == Role.PROVINCE,
    }
    return render(request, "incidents/list.html", context)


@staff
@require_http_methods(["GET", "POST"])
def incident_new(request):
    form = ReportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.report_incident(
                by=request.user,
                kind=data["kind"],
                severity=data["severity"],
                started_at=data["started_at"],
                description=data["description"],
                affected=data["affected_units"],
                request=request,
            )
        except services.IncidentRefused as e:
            form.add_error(None, e)
        else:
            if incident.awaiting_sync:  # on a point client, before the next sync
                messages.warning(
                    request,
                    _(
                        "The incident is recorded on this PC. The levels above see it once "
                        "this PC has synced with the central server."
                    ),
                )
            else:
                messages.success(
                    request,
                    _("The incident is reported. Every level above your unit sees it now."),
                )
            return redirect("incidents:detail", pk=incident.pk)
    return render(request, "incidents/new.html", {"form": form})


# The actions on one incident: the label of its text field, and what it says on success.
ACTIONS = {
    "comment": (gettext_lazy("Your comment"), gettext_lazy("The comment is added.")),
    "escalate": (
        gettext_lazy("Note for the level above"),
        gettext_lazy("The incident is passed up to %(unit)s."),
    ),
    "resolve": (gettext_lazy("Resolution"), gettext_lazy("The incident is resolved.")),
    "reopen": (gettext_lazy("Why reopen it"), gettext_lazy("The incident is reopened.")),
}


def _allowed(user, incident: Incident) -> dict[str, bool]:
    return {
        "comment": services.may_comment(user, incident),
        "escalate": services.may_escalate(user, incident),
        "resolve": services.may_resolve(user, incident),
        "reopen": services.may_reopen(user, incident),
    }


def _forms(incident: Incident, bound: tuple[str, TextForm] | None = None) -> dict:
    forms = {
        name: TextForm(prefix=name, label=label, initial={"version": incident.version})
        for name, (label, _message) in ACTIONS.items()
    }
    if bound is not None:
        forms[bound[0]] = bound[1]
    return forms


def _detail(request, incident: Incident, bound=None, status: int = 200):
    allowed = _allowed(request.user, incident)
    user_level = services.level_of(request.user)
    if bound is not None and not allowed[bound[0]]:
        # Refused because the incident moved on: the text stays on screen to copy (into a
        # comment, say), but the form is not offered for sending again.
        bound[1].fields["text"].widget.attrs["readonly"] = True
    context = {
        "incident": incident,
        "bound": bound[0] if bound is not None else None,
        "entries": services.timeline(incident),
        "chain": incident.chain(),
        "affected": [*incident.affected_regions.all(), *incident.affected_points.all()],
        "forms": _forms(incident, bound),
        "allowed": allowed,
        "escalate_to": (
            dict(incident.chain())[services.level_above(user_level)]
            if allowed["escalate"]
            else None
        ),
        "steps": STEPS.get(incident.kind, ()),
        "may_extend": (incident.kind in MAY_NEED_EXTENSION and request.user.role == Role.PROVINCE),
    }
    return render(request, "incidents/detail.html", context, status=status)


def _visible_incident(request, pk: int) -> Incident:
    return get_visible_or_404(
        Incident.objects.select_related(
            "region__parent__parent",
            "point__county__parent__parent",
            "reported_by",
            "resolved_by",
        ),
        request.user,
        pk=pk,
    )


@staff
@require_GET
def incident_detail(request, pk: int):
    return _detail(request, _visible_incident(request, pk))


@staff
@require_POST
def incident_act(request, pk: int, action: str):
    """One action on the incident; a refusal shows the page again with the text kept."""
    incident = _visible_incident(request, pk)
    label, success = ACTIONS[action]
    form = TextForm(request.POST, prefix=action, label=label)
    if not form.is_valid():
        return _detail(request, incident, (action, form), status=400)
    text, version = form.cleaned_data["text"], form.cleaned_data["version"]
    who = {"by": request.user, "request": request}
    try:
        if action == "comment":
            services.comment(incident, text=text, **who)
        elif action == "escalate":
            incident = services.escalate(incident, note=text, version=version, **who)
        elif action == "resolve":
            services.resolve(incident, resolution=text, version=version, **who)
        else:
            services.reopen(incident, reason=text, version=version, **who)
    except services.IncidentRefused as e:
        fresh = _visible_incident(request, pk)
        # The text stays; the form goes on from the state now shown, so that trying again
        # after reading the timeline is a deliberate step.
        data = form.data.copy()
        data[form.add_prefix("version")] = str(fresh.version)
        kept = TextForm(data, prefix=action, label=label)
        kept.is_valid()
        kept.add_error(None, e)
        return _detail(request, fresh, (action, kept), status=409)
    message = success
    if action == "escalate":
        message = success % {"unit": incident.handling_unit}
    latest = incident.entries.order_by("-pk").first()
    if latest is not None and latest.awaiting_sync:  # on a point client, before the sync
        note = _("Recorded on this PC: the levels above see it after the next sync.")
        messages.warning(request, f"{message} {note}")
    else:
        messages.success(request, message)
    return redirect("incidents:detail", pk=pk)
