"""Gateway-facing endpoints (placeholder; notifications follow)."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def notify(request, channel):
    return HttpResponse(status=404)
