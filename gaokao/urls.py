from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from gaokao.accounts.admin_site import restrict_admin_to_province
from gaokao.sync.api import api as sync_api

restrict_admin_to_province(admin.site)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="office:home", permanent=False)),
    path("office/", include("gaokao.office.urls")),
    path("office/accounts/", include("gaokao.accounts.urls")),
    path("office/candidates/", include("gaokao.candidates.urls")),
    path("office/ranges/", include("gaokao.numbering.urls")),
    path("office/notices/", include("gaokao.notices.urls")),
    path("office/audit/", include("gaokao.audit.urls")),
    path("office/photos/", include("gaokao.photos.urls")),
    path("office/professional/", include("gaokao.payments.office_urls")),
    path("office/proofreading/", include("gaokao.proofreading.urls")),
    path("office/comments/", include("gaokao.comments.urls")),
    path("office/results/", include("gaokao.results.urls")),
    path("office/submission/", include("gaokao.submission.urls")),
    path("office/progress/", include("gaokao.progress.urls")),
    path("office/exports/", include("gaokao.exports.urls")),
    path("office/sync/", include("gaokao.sync.urls")),
    path("office/bundles/", include("gaokao.bundles.urls")),
    path("office/paper/", include("gaokao.client.urls")),
    path("office/gate/", include("gaokao.gate.urls")),
    path("office/extensions/", include("gaokao.seasons.urls")),
    path("office/incidents/", include("gaokao.incidents.urls")),
    path("office/system/", include("gaokao.ops.urls")),
    path("ks/wait/", include("gaokao.gate.portal_urls")),
    path("ks/", include("gaokao.portal.urls")),
    path("api/v1/", sync_api.urls),
    path("pay/", include("gaokao.payments.urls")),
    path("sandbox/", include("gaokao.payments.sandbox.urls")),
    path("admin/", admin.site.urls),
    path("", include("gaokao.ops.probe_urls")),
]
