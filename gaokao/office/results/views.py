"""Pages for imported results (S10): the import page (check, then confirm) and a
candidate's imported data.

The file checked in the first step is held server-side (services.hold) and the
confirmation names it with the hash shown in the report, so the import applies exactly the
bytes that were checked, on any app server, without a second upload; only the uploader can
confirm it. The confirmation checks every row again: data may have changed in between.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gaokao.candidates.models import Candidate
from gaokao.office.results.forms import ConfirmForm, UploadForm
from gaokao.regions.jurisdiction import get_visible_or_404
from gaokao.results import formats, services
from gaokao.results.models import PendingImport
from gaokao.results.services import ImportRefused
from gaokao.web.access import roles_required

importers_only = roles_required(
    *sorted({r for roles in services.IMPORTERS.values() for r in roles})
)


def _page(request, form, report=None, confirm_form=None, refusal=""):
    kinds = services.kinds_for(request.user)
    context = {
        "form": form,
        "report": report,
        "confirm_form": confirm_form,
        "refusal": refusal,
        "documentation": [(k, formats.documented_columns(k)) for k in kinds],
    }
    return render(request, "results/imports.html", context)


def _refusal(e: ImportRefused) -> str:
    return " ".join(e.messages)


@importers_only
@require_http_methods(["GET", "POST"])
def imports(request):
    """Step 1: choose the kind and the file; the check reports every row."""
    form = UploadForm(
        request.POST or None, request.FILES or None, kinds=services.kinds_for(request.user)
    )
    if request.method != "POST" or not form.is_valid():
        return _page(request, form)
    kind, upload = form.cleaned_data["kind"], form.cleaned_data["file"]
    data = upload.read()
    try:
        report = services.run_import(kind, data, upload.name, by=request.user, dry_run=True)
    except ImportRefused as e:
        form.add_error(None, _refusal(e))
        return _page(request, form)
    confirm_form = None
    if report.ok:
        pending = services.hold(kind, data, upload.name, by=request.user)
        confirm_form = ConfirmForm(initial={"upload": pending.pk, "sha256": pending.sha256})
    return _page(request, form, report, confirm_form)


@importers_only
@require_POST
def confirm(request):
    """Step 2: import the file held after its check."""
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        raise Http404
    pending = get_object_or_404(
        PendingImport, pk=form.cleaned_data["upload"], uploaded_by=request.user
    )
    try:
        report = services.import_held(
            pending, form.cleaned_data["sha256"], by=request.user, request=request
        )
    except ImportRefused as e:
        messages.error(request, _refusal(e))
        return redirect("results:imports")
    if not report.saved:
        # Something changed since the check (a candidate, a record, the jurisdiction).
        refusal = _("Nothing was imported: the file no longer passes the check.")
        return _page(
            request, UploadForm(kinds=services.kinds_for(request.user)), report, None, refusal
        )
    counts = report.counts
    messages.success(
        request,
        _("Imported %(file)s: %(created)d new, %(updated)d changed, %(unchanged)d unchanged.")
        % {
            "file": report.filename,
            "created": counts[services.CREATE],
            "updated": counts[services.UPDATE],
            "unchanged": counts[services.UNCHANGED],
        },
    )
    return redirect("results:imports")


@importers_only
@require_GET
def template(request, kind: str):
    """The empty file to fill in for one kind: its header row."""
    if kind not in formats.KINDS or not services.may_import(request.user, kind):
        raise Http404
    response = HttpResponse(
        formats.template_csv(formats.KINDS[kind]), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response


@roles_required(*sorted(services.READERS))
@require_GET
def candidate(request, pk):
    """What was imported for one candidate of the user's jurisdiction."""
    qs = Candidate.objects.select_related("point__county__parent")
    c = get_visible_or_404(qs, request.user, pk=pk)
    return render(request, "results/candidate.html", {"c": c, **services.imported_data(c)})
