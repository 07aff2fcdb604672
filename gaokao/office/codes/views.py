"""代码表: the province's code tables (E2, issue 19) — each table with its rows and how many
records hold each, a form to add a row, and on a row's page its name and order, retiring
and restoring it, and deleting a row no record holds. Every change asks why and is
audited. Thin: the rules are in gaokao.codes.services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gaokao.accounts.models import Role
from gaokao.codes import services
from gaokao.codes.models import Code, Table
from gaokao.office.codes.forms import CodeForm, NewCodeForm
from gaokao.web.access import roles_required


def province_only(view):
    """The province authority whose code tables these are (others: 403)."""

    @roles_required(Role.PROVINCE)
    def wrapper(request, *args, **kwargs):
        if not services.may_edit(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _table(name: str) -> Table:
    if name not in Table.values:
        raise Http404
    return Table(name)


@province_only
def tables(request):
    return render(request, "codes/tables.html", {"tables": services.table_summary()})


@province_only
@require_http_methods(["GET", "POST"])
def table(request, table: str):
    """The table's rows, and a form to add one: a refusal shows it again as typed."""
    table = _table(table)
    form = NewCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = services.add_code(
                table,
                data["code"],
                data["name"],
                sort_order=data["sort_order"],
                reason=data["reason"],
                by=request.user,
                request=request,
            )
        except services.CodeRefused as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Code %(code)s is added.") % {"code": row})
            return redirect("codes:table", table=table.value)
    context = {"table": table, "rows": services.table_rows(table), "form": form}
    return render(request, "codes/table.html", context)


@province_only
@require_http_methods(["GET", "POST"])
def row(request, table: str, pk: int):
    table = _table(table)
    code = get_object_or_404(Code, pk=pk, table=table)
    initial = {"name": code.name, "sort_order": code.sort_order}
    form = CodeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        action, kw = data["action"] or CodeForm.SAVE, {"reason": data["reason"], "by": request.user}
        try:
            if action == CodeForm.DELETE:
                services.delete_code(code, request=request, **kw)
                messages.success(request, _("Code %(code)s is deleted.") % {"code": code})
                return redirect("codes:table", table=table.value)
            if action in (CodeForm.RETIRE, CodeForm.RESTORE):
                diff = services.set_in_use(code, action == CodeForm.RESTORE, request=request, **kw)
            else:
                diff = services.change_code(
                    code,
                    name=data["name"],
                    sort_order=data["sort_order"],
                    request=request,
                    **kw,
                )
        except services.CodeRefused as e:
            form.add_error(None, e)
        else:
            if diff:
                messages.success(request, _("Code %(code)s is saved.") % {"code": code.code})
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("codes:table", table=table.value)
    uses = services.uses_by_code(table, [code.code]).get(code.code, 0)
    context = {"table": table, "code": code, "uses": uses, "form": form}
    return render(request, "codes/row.html", context)
