"""Gateway-facing endpoints: the notification URL of each channel."""

from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gaokao.payments import config, services


@csrf_exempt
@require_POST
def notify(request, channel):
    """POST /pay/notify/<channel>/: the raw body and headers go to the adapter untouched
    (signatures cover the exact bytes)."""
    if channel not in config.channels():
        raise Http404("no such payment channel")
    reply = services.receive_notification(channel, request.headers, request.body)
    return HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)
