"""Comment pages of the office web (S8): the batch screen, the unit's templates, the import.

Thin: each view parses the request and calls gaokao.comments.services. Candidates are
fetched through `visible_to`, so another region's candidate answers 404 like a missing one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gaokao.accounts.models import Role
from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.models import Candidate
from gaokao.candidates.stage import is_editable_by
from gaokao.codes.models import Code, Table
from gaokao.comments import services
from gaokao.comments.models import COMMENT_LIMIT, CommentTemplate
from gaokao.lib.spreadsheet import SpreadsheetError
from gaokao.office.comments.forms import BatchFilterForm, CommentRowForm, ImportForm, TemplateForm
from gaokao.regions.jurisdiction import get_visible_or_404
from gaokao.seasons import NoCurrentSeason, current
from gaokao.web.access import roles_required

PAGE_SIZE = 50
comment_staff = roles_required(Role.POINT, Role.COUNTY)


# ── the batch screen ───────────────────────────────────────────────────────────────────


@dataclass
class Row:
    """One candidate on the batch screen. `form` is None for a read-only row without input
    to keep; `editable` says whether the row is posted back."""

    candidate: Candidate
    form: CommentRowForm | None
    editable: bool
    errors: list[str] = field(default_factory=list)
    code: str = ""  # why the row was refused: too_long, stale, locked, invalid
    on_record: str | None = None  # the comment now on record, shown beside a stale row
    locked: str = ""  # why the row is read-only

    @property
    def text(self) -> str:
        comment = services.comment_of(self.candidate)
        return comment.text if comment is not None else ""


def _prefix(candidate: Candidate) -> str:
    return f"c{candidate.pk.hex}"


def _fresh_row(candidate: Candidate, user) -> Row:
    if not is_editable_by(candidate, user.role):
        # Where the record is says enough on a long list; the full rule is shown only when
        # a save is refused.
        return Row(candidate, None, editable=False, locked=candidate.get_stage_display())
    comment = services.comment_of(candidate)
    initial = {
        "version": comment.version if comment is not None else 0,
        "text": comment.text if comment is not None else "",
    }
    return Row(candidate, CommentRowForm(prefix=_prefix(candidate), initial=initial), True)


def _candidates(user):
    qs = Candidate.objects.visible_to(user).select_related("point", "comment")
    try:
        return qs.filter(season=current())
    except NoCurrentSeason:  # nothing to comment on yet: an empty list, not an error
        return qs.none()


def _filtered(user, filters: BatchFilterForm):
    qs = _candidates(user).order_by("registration_number", "pk")
    if filters.is_bound and filters.is_valid():
        data = filters.cleaned_data
        if data.get("point"):
            qs = qs.filter(point=data["point"])
        if data["subject_track"]:
            qs = qs.filter(subject_track=data["subject_track"])
        if data["missing"]:
            qs = qs.filter(Q(comment__isnull=True) | Q(comment__text=""))
    return qs


def _posted_candidates(request) -> list[Candidate]:
    """The candidates whose rows were posted, in page order. More rows than a page holds:
    400; any candidate outside the user's jurisdiction: 404."""
    ids = list(dict.fromkeys(request.POST.getlist("row")))
    if len(ids) > PAGE_SIZE:
        raise BadRequest("More rows than a page holds.")
    try:
        pks = [uuid.UUID(i) for i in ids]
    except ValueError as e:
        raise Http404 from e
    found = {c.pk: c for c in _candidates(request.user).filter(pk__in=pks)}
    if len(found) != len(pks):
        raise Http404
    return [found[pk] for pk in pks]


def _refused_row(candidate: Candidate, form: CommentRowForm, error: CandidateRefused, user) -> Row:
    """The row as the user typed it, with the refusal beside it."""
    code = getattr(error, "code", None) or ""
    row = Row(candidate, form, editable=True, errors=list(error.messages), code=code)
    fresh = Candidate.objects.select_related("point", "comment").get(pk=candidate.pk)
    row.candidate = fresh
    if not is_editable_by(fresh, user.role):
        # Submitted meanwhile: the input stays on screen to copy, but is not posted again.
        row.editable, row.locked = False, fresh.get_stage_display()
        form.fields["text"].widget.attrs["readonly"] = True
    elif code == "stale":
        # Based from now on on the comment now on record, shown beside the input: saving
        # again after checking it is a deliberate overwrite.
        comment = services.comment_of(fresh)
        row.on_record = comment.text if comment is not None else ""
        data = form.data.copy()
        data[form.add_prefix("version")] = str(comment.version if comment is not None else 0)
        data[form.add_initial_prefix("text")] = row.on_record
        row.form = CommentRowForm(data, prefix=form.prefix)
    return row


def _save_rows(request) -> tuple[list[Row], int, int]:
    """Save every changed row on its own. Returns the rows to show, how many comments were
    saved and how many rows were refused."""
    rows, saved, refused = [], 0, 0
    for candidate in _posted_candidates(request):
        comment = services.comment_of(candidate)
        initial = {"version": comment.version if comment is not None else 0}
        form = CommentRowForm(request.POST, prefix=_prefix(candidate), initial=initial)
        if not form.is_valid():
            errors = [e for errors in form.errors.values() for e in errors]
            rows.append(Row(candidate, form, editable=True, errors=errors, code="invalid"))
            refused += 1
            continue
        if not form.text_changed:
            rows.append(_fresh_row(candidate, request.user))
            continue
        try:
            changed = services.save_comment(
                candidate,
                text=form.cleaned_data["text"],
                version=form.cleaned_data["version"],
                by=request.user,
                request=request,
            )
        except CandidateRefused as e:
            rows.append(_refused_row(candidate, form, e, request.user))
            refused += 1
        else:
            saved += changed
            fresh = Candidate.objects.select_related("point", "comment").get(pk=candidate.pk)
            rows.append(_fresh_row(fresh, request.user))
    return rows, saved, refused


def _picker(user) -> tuple[list[dict], dict[str, str]]:
    """The templates the user may insert: options for each row's picker, and their texts
    (sent once for the page's script)."""
    options, texts = [], {}
    for t in CommentTemplate.objects.usable_by(user).select_related("region", "point"):
        label = t.title if t.unit == user.unit else f"{t.title} · {t.unit.name}"
        options.append({"pk": t.pk, "label": label})
        texts[str(t.pk)] = t.text
    return options, texts


@comment_staff
@require_http_methods(["GET", "POST"])
def batch(request):
    """评语录入 — one textarea per candidate, saved together; each row saved or refused on
    its own."""
    filters = BatchFilterForm(request.GET or None, user=request.user)
    page = Paginator(_filtered(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    if request.method == "POST":
        rows, saved, refused = _save_rows(request)
        if saved:
            messages.success(request, _("Comments saved: %(n)d.") % {"n": saved})
        if not refused:
            if not saved:
                messages.info(request, _("Nothing to save: no comment was changed."))
            return redirect(request.get_full_path())
        messages.error(
            request,
            _(
                "Rows not saved: %(n)d. The reason is beside each of them and your input is "
                "kept; correct it and save again."
            )
            % {"n": refused},
        )
    else:
        rows = [_fresh_row(c, request.user) for c in page]
    options, texts = _picker(request.user)
    context = {
        "filters": filters,
        "page": page,
        "rows": rows,
        "templates": options,
        "template_texts": texts,
        "limit": COMMENT_LIMIT,
        "tracks": dict(Code.objects.filter(table=Table.SUBJECT_TRACK).values_list("code", "name")),
        "is_county": request.user.role == Role.COUNTY,
    }
    return render(request, "comments/batch.html", context)


# ── templates ──────────────────────────────────────────────────────────────────────────


@comment_staff
@require_http_methods(["GET", "POST"])
def templates(request):
    """评语模板 — the unit's templates: list, create; delete behind a confirmation."""
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_template(
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
                by=request.user,
                request=request,
            )
        except CandidateRefused as e:
            for message in e.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The template is saved."))
            return redirect("comments:templates")
    own = CommentTemplate.objects.owned_by(request.user)
    above = (
        CommentTemplate.objects.usable_by(request.user)
        .exclude(pk__in=own.values("pk"))
        .select_related("region")
    )
    context = {"form": form, "own": own, "above": above, "limit": services.MAX_TEMPLATES}
    return render(request, "comments/templates.html", context)


@comment_staff
@require_http_methods(["GET", "POST"])
def template_delete(request, pk: int):
    """GET asks for confirmation; only the POST deletes."""
    template = get_visible_or_404(
        CommentTemplate.objects.owned_by(request.user), request.user, pk=pk
    )
    if request.method == "POST":
        services.delete_template(template, by=request.user, request=request)
        messages.success(request, _("The template is deleted."))
        return redirect("comments:templates")
    return render(request, "comments/template_delete.html", {"template": template})


# ── import ─────────────────────────────────────────────────────────────────────────────


@comment_staff
@require_http_methods(["GET", "POST"])
def import_comments(request):
    """评语导入 — upload → dry run with a report per line → import of the OK lines."""
    form, report, upload = ImportForm(), None, None
    if request.method == "POST" and "upload" in request.POST:
        upload = services.pending_upload(
            request.user, request.POST.get("upload"), request.POST.get("sha256", "")
        )
        if upload is None:
            messages.error(request, _("This upload is no longer waiting; upload the file again."))
            return redirect("comments:import")
        try:
            outcome = services.apply_import(upload, by=request.user, request=request)
        except (CandidateRefused, SpreadsheetError) as e:
            messages.error(request, " ".join(getattr(e, "messages", [str(e)])))
            return redirect("comments:import")
        report = outcome.report
        if outcome.applied:
            counts = report.counts
            messages.success(
                request,
                _(
                    "Imported “%(file)s”: %(written)d comments written, %(unchanged)d already"
                    " on record, %(refused)d lines refused."
                )
                % {
                    "file": report.filename,
                    "written": outcome.written,
                    "unchanged": counts[services.RowStatus.UNCHANGED],
                    "refused": report.problem_count,
                },
            )
            return redirect("comments:import")
        messages.warning(
            request,
            _(
                "The data changed since the check, so nothing is imported. Here is the new"
                " report: check it and import again."
            ),
        )
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload, report = _dry_run(request, form)
    context = {"form": form, "report": report, "upload": upload}
    return render(request, "comments/import.html", context)


def _dry_run(request, form: ImportForm):
    file = form.cleaned_data["file"]
    if file.size > services.UPLOAD_MAX_BYTES:
        form.add_error(
            "file",
            _("The file is larger than %(mb)d MB.")
            % {"mb": services.UPLOAD_MAX_BYTES // (1024 * 1024)},
        )
        return None, None
    try:
        return services.dry_run(file.read(), file.name, by=request.user)
    except SpreadsheetError as e:
        form.add_error("file", str(e))
    except CandidateRefused as e:
        for message in e.messages:
            form.add_error(None, message)
    return None, None
