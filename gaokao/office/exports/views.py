"""The export page of the office web (S9), for city and province staff: how many submitted
candidates there are, and the downloads (CSV, XLSX, photos ZIP) with the same filters.

Thin: each view checks the filters and calls one service in gaokao.exports.services, which
chooses the candidates of the user's jurisdiction and records the export."""

from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header

from gaokao.exports import services
from gaokao.office.exports.forms import ExportFilterForm
from gaokao.web.access import roles_required
from gaokao.web.reauth import reauth_required

exporters = roles_required("province", "city")


def _back(request) -> str:
    """After re-authentication: the export page with the same filters."""
    query = request.GET.urlencode()
    return reverse("exports:index") + (f"?{query}" if query else "")


def _filters(request) -> tuple[ExportFilterForm, services.Filters | None]:
    """The form and the filters it gives, None if they are invalid (no GET: no filter)."""
    form = ExportFilterForm(request.GET or None, stages=services.exportable_stages(request.user))
    if not form.is_bound:
        return form, services.Filters()
    return form, form.filters() if form.is_valid() else None


def _page(request, form: ExportFilterForm, filters: services.Filters | None):
    context = {
        "form": form,
        "summary": services.summary(request.user, filters or services.Filters()),
        "columns": services.COLUMNS,
    }
    return render(request, "exports/index.html", context, status=400 if filters is None else 200)


@exporters
def index(request):
    return _page(request, *_filters(request))


def _attachment(response, export: services.Export):
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    return response


@exporters
@reauth_required(back=_back)
def candidates_csv(request):
    form, filters = _filters(request)
    if filters is None:
        return _page(request, form, filters)
    export = services.export_csv(request.user, filters, request=request)
    response = StreamingHttpResponse(export.chunks, content_type="text/csv; charset=utf-8")
    return _attachment(response, export)


@exporters
@reauth_required(back=_back)
def candidates_xlsx(request):
    form, filters = _filters(request)
    if filters is None:
        return _page(request, form, filters)
    export = services.export_xlsx(request.user, filters, request=request)
    response = FileResponse(export.file, content_type=services.XLSX_TYPE)
    return _attachment(response, export)


@exporters
@reauth_required(back=_back)
def photos_zip(request):
    form, filters = _filters(request)
    if filters is None:
        return _page(request, form, filters)
    export = services.export_photos(request.user, filters, request=request)
    response = StreamingHttpResponse(export.chunks, content_type="application/zip")
    return _attachment(response, export)
