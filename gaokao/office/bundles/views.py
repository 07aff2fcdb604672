"""The county's page for disc bundles (E5): check a file, then confirm to apply it.

The file checked in the first step is held server-side (services.hold) under its SHA-256
for the user who checked it; the confirmation names that hash, so exactly the bytes that
were checked are applied, without a second upload. The confirmation verifies the file again
(a device may have been revoked in between). Both steps ask for the password and the
authenticator code again when they were last typed more than ten minutes ago: a disc's
changes reach many candidates at once.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from gaokao.bundles import services
from gaokao.bundles.format import BundleRefused
from gaokao.office.bundles.forms import ConfirmForm, UploadForm
from gaokao.web.access import roles_required
from gaokao.web.reauth import reauth_required

county_only = roles_required("county")


@county_only
@reauth_required(back="bundles:import")
@require_http_methods(["GET", "POST"])
def import_bundle(request):
    """Step 1: upload the file; the dry run says what it holds."""
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "max_mb": services.MAX_BYTES // 2**20}
    if request.method != "POST" or not form.is_valid():
        return render(request, "bundles/import.html", context)
    data = form.cleaned_data["file"].read()
    try:
        summary = services.check(data, request.user, request=request)
    except BundleRefused as e:
        form.add_error(None, e.message)
        return render(request, "bundles/import.html", context)
    services.hold(data, request.user)
    context |= {
        "summary": summary,
        "filename": form.cleaned_data["file"].name,
        "confirm_form": ConfirmForm(initial={"sha256": summary.sha256}),
        "form": UploadForm(),
    }
    return render(request, "bundles/import.html", context)


@county_only
@reauth_required(back="bundles:import")
@require_POST
def confirm(request):
    """Step 2: apply the file held after its check; show what happened to every change."""
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, services.not_held_message())
        return redirect("bundles:import")
    sha256 = form.cleaned_data["sha256"]
    try:
        data = services.held(request.user, sha256)
        result = services.apply(data, request.user, request=request)
    except BundleRefused as e:
        services.discard(request.user, sha256)
        messages.error(request, e.message)
        return redirect("bundles:import")
    services.discard(request.user, sha256)
    return render(request, "bundles/result.html", {"result": result})
