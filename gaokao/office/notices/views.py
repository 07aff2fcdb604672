import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gaokao.notices import services
from gaokao.notices.models import Attachment, Notice
from gaokao.office.notices.forms import NoticeForm
from gaokao.regions.jurisdiction import get_visible_or_404

logger = logging.getLogger(__name__)

PAGE_SIZE = 25


@login_required
@require_GET
def notice_list(request):
    notices = (
        Notice.objects.for_reader(request.user)
        .with_read_mark(request.user)
        .annotate(n_attachments=Count("attachments"))
    )
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "can_post": services.can_post(request.user)}
    return render(request, "notices/list.html", context)


@login_required
@require_GET
def notice_detail(request, pk: int):
    notice = get_visible_or_404(Notice.objects.all(), request.user, pk=pk)
    services.mark_read(notice, request.user)
    context = {
        "notice": notice,
        "attachments": notice.attachments.all(),
        "can_withdraw": services.can_withdraw(request.user, notice),
    }
    return render(request, "notices/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def notice_new(request):
    if not services.can_post(request.user):
        raise PermissionDenied
    form = NoticeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.post_notice(
                author_unit=request.user.region,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                attachments=[(f.name, f) for f in form.cleaned_data["attachments"]],
                pinned=form.cleaned_data["pinned"],
                by=request.user,
                request=request,
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("The notice is posted."))
            return redirect("notices:detail", pk=notice.pk)
    return render(request, "notices/new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def notice_withdraw(request, pk: int):
    """GET asks for confirmation; only the POST withdraws."""
    notice = get_visible_or_404(Notice.objects.all(), request.user, pk=pk)
    if not services.can_withdraw(request.user, notice):
        raise PermissionDenied
    if request.method == "POST":
        services.withdraw_notice(notice, by=request.user, request=request)
        messages.success(request, _("The notice is withdrawn. It stays on record."))
        return redirect("notices:list")
    return render(request, "notices/withdraw.html", {"notice": notice})


@login_required
@require_GET
def attachment_download(request, pk: int):
    attachment = get_visible_or_404(Attachment.objects.all(), request.user, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as e:
        logger.error("notice attachment %s: file %s is missing", pk, attachment.file.name)
        raise Http404 from e
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
