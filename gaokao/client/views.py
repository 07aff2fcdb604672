"""Pages of the point client's work: keying in paper draft forms (E4, E5) and the outbox
with what needs attention. Thin: each view calls gaokao.client.services."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaokao.accounts.models import Role
from gaokao.candidates import change_path, late_paper
from gaokao.candidates.change_path import Origin
from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.models import Candidate
from gaokao.candidates.own_data_forms import identity_rows, posted_rows, show_refusal
from gaokao.client import conflicts, local, services
from gaokao.client.forms import LateFormForm, data_forms
from gaokao.client.models import ClientState, Outbox
from gaokao.client.sync import candidate_labels
from gaokao.client.sync import status as sync_status
from gaokao.regions.jurisdiction import get_visible_or_404
from gaokao.sync.display import field_labels, labelled, value_rows
from gaokao.sync.forms import ResolveForm
from gaokao.web.access import roles_required

points_only = roles_required(Role.POINT)


@points_only
def paper(request, pk):
    """The candidate's own data keyed in by point staff from a paper draft form."""
    candidate = get_visible_or_404(
        Candidate.objects.select_related("point__county", "season"), request.user, pk=pk
    )
    refused = change_path.refusal(
        candidate, change_path.OWN_DATA, Origin.PAPER, by=request.user, request=request
    )
    posted = request.method == "POST"
    late = None  # after the window: a form dated inside it, under an open incident
    if getattr(refused, "code", None) == "window_closed":
        incidents = late_paper.open_incidents(candidate)
        if incidents.exists():
            late = LateFormForm(request.POST if posted else None, incidents=incidents)
    open_now = refused is None or late is not None
    # What was typed is shown again whatever the answer, so nothing is lost (issue 19).
    form, resume_set, family_set = data_forms(
        candidate, request.POST if posted else None, open_now=open_now or posted
    )
    context = {
        "c": candidate,
        "form": form,
        "formsets": [
            ("resume", resume_set, _("Résumé (from junior high school on)")),
            ("family", family_set, _("Family members")),
        ],
        "identity": identity_rows(candidate),
        "open_now": open_now,
        "late": late,
        "refused": refused,
        "row_errors": {},
    }
    if posted and not open_now:
        context["row_errors"] = show_refusal(form, refused, candidate)
        return render(request, "client/paper.html", context, status=403)
    forms_to_check = (form, resume_set, family_set, *([late] if late else []))
    if posted and all(f.is_valid() for f in forms_to_check):
        try:
            services.save_paper_data(
                candidate,
                version=form.cleaned_data["version"],
                data=form.own_data(),
                resume=posted_rows(resume_set),
                family=posted_rows(family_set),
                by=request.user,
                request=request,
                **(late.late_form() if late else {}),
            )
        except CandidateRefused as e:
            context["row_errors"] = show_refusal(form, e, candidate)
        else:
            messages.success(
                request,
                _("Saved from the paper form. The candidate checks it in the portal later."),
            )
            return redirect("candidates:detail", pk=candidate.pk)
    return render(request, "client/paper.html", context)


def _visible_entries(user):
    visible = Candidate.objects.visible_to(user).values("pk")
    return Outbox.objects.filter(candidate_id__in=visible)


def _needs_attention(entry: Outbox) -> bool:
    """Answered and refused, or a photo the server would not take (a change that could
    not be sent is simply still waiting)."""
    photo_refused = entry.kind == Outbox.Kind.PHOTO and bool(entry.last_error)
    return entry.state == Outbox.State.ATTENTION or photo_refused


@points_only
def outbox(request):
    """What this point client has not got to the server yet, and what needs a person."""
    entries = list(_visible_entries(request.user).order_by("created_at", "id"))
    names = candidate_labels(entries)  # registration number and name (issue 20)
    for entry in entries:
        entry.candidate_name = names.get(entry.candidate_id, "")
        # Labels and code names, the ID number masked (issue 20).
        entry.values = labelled(entry.payload.get("fields") or {})
    state = ClientState.load()
    context = {
        "status": sync_status(),
        # Which PC of the point this is, and its own numbers (issue 20).
        "peers": local.peers_text(),
        "numbers": local.blocks_text(state.device_id) if state else "",
        "attention": [e for e in entries if _needs_attention(e)],
        "pending": [e for e in entries if e.state == Outbox.State.PENDING],
    }
    return render(request, "client/outbox.html", context)


def _entry_or_404(user, pk) -> Outbox:
    entry = _visible_entries(user).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


@points_only
def resolve(request, pk):
    """A change in conflict decided here, at the point, with the server's values now."""
    entry = _entry_or_404(request.user, pk)
    candidate = Candidate.objects.visible_to(request.user).filter(pk=entry.candidate_id).first()
    try:
        conflict = conflicts.fetch(entry)
    except conflicts.Unresolvable as e:
        return render(
            request, "client/resolve.html", {"entry": entry, "c": candidate, "error": e.message}
        )
    form = ResolveForm(
        conflict,
        field_labels(),
        request.POST or None,
        initial={"version": conflict.current_version},
    )
    if request.method == "POST" and form.is_valid():
        choice, fields = form.decision()
        try:
            summary = conflicts.resolve(entry, conflict, choice, fields)
        except conflicts.Unresolvable as e:
            messages.error(request, e.message)
            return redirect("client:resolve", pk=entry.pk)
        messages.success(request, _("The conflict is resolved. %(sync)s") % {"sync": summary})
        return redirect("client:outbox")
    rows = value_rows(conflict.point_values, conflict.server_values)
    for row in rows:
        row["field"] = form[f"keep_{row['name']}"]
    context = {"entry": entry, "c": candidate, "form": form, "rows": rows}
    return render(request, "client/resolve.html", context)


@points_only
@require_POST
def dismiss(request, pk):
    entry = _entry_or_404(request.user, pk)
    try:
        services.dismiss(entry, by=request.user)
    except services.OutboxRefused as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("Removed from the list."))
    return redirect("client:outbox")
