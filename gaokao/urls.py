from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from gaokao.admin import restrict_admin_to_province  # and registers every ModelAdmin
from gaokao.api.v1 import api as sync_api

restrict_admin_to_province(admin.site)

# Refusals as pages with what to do next, in the front end's own frame (issue 20).
handler403 = "gaokao.web.errors.permission_denied"
handler404 = "gaokao.web.errors.page_not_found"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="office:home", permanent=False)),
    path("office/", include("gaokao.office.urls")),
    path("office/accounts/", include("gaokao.office.accounts.urls")),
    path("office/regions/", include("gaokao.office.regions.urls")),
    path("office/candidates/", include("gaokao.office.candidates.urls")),
    path("office/ranges/", include("gaokao.office.numbering.urls")),
    path("office/notices/", include("gaokao.office.notices.urls")),
    path("office/audit/", include("gaokao.office.audit.urls")),
    path("office/photos/", include("gaokao.office.photos.urls")),
    path("office/professional/", include("gaokao.office.professional.urls")),
    path("office/proofreading/", include("gaokao.office.proofreading.urls")),
    path("office/comments/", include("gaokao.office.comments.urls")),
    path("office/results/", include("gaokao.office.results.urls")),
    path("office/submission/", include("gaokao.office.submission.urls")),
    path("office/progress/", include("gaokao.office.progress.urls")),
    path("office/exports/", include("gaokao.office.exports.urls")),
    path("office/sync/", include("gaokao.office.sync.urls")),
    path("office/bundles/", include("gaokao.office.bundles.urls")),
    path("office/paper/", include("gaokao.client.urls")),
    path("office/gate/", include("gaokao.office.gate.urls")),
    path("office/extensions/", include("gaokao.office.seasons.urls")),
    path("office/codes/", include("gaokao.office.codes.urls")),
    path("office/incidents/", include("gaokao.office.incidents.urls")),
    path("office/system/", include("gaokao.office.ops.urls")),
    path("ks/wait/", include("gaokao.portal.waiting")),
    path("ks/", include("gaokao.portal.urls")),
    path("api/v1/", sync_api.urls),
    path("pay/", include("gaokao.notify.urls")),
    path("sandbox/", include("gaokao.sandbox.urls")),
    path("admin/", admin.site.urls),
    path("", include("gaokao.ops.probe_urls")),
]
