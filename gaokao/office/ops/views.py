"""The province's system-status page (系统状态, E3). The probes and /metrics are machine
endpoints and live in gaokao.ops.probes."""

from django.shortcuts import render

from gaokao.ops import services
from gaokao.web.access import roles_required


@roles_required("province")
def status(request):
    """系统状态 — this app server and the system at a glance; printable."""
    context = {
        "status": services.system_status(),
        "stage_cache_seconds": services.STAGE_CACHE_SECONDS,
    }
    return render(request, "ops/status.html", context)
