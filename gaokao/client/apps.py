from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ClientConfig(AppConfig):
    name = "gaokao.client"
    verbose_name = _("Point client")

    def ready(self) -> None:
        # Only a point client queues its local work for the server; on the central server
        # the same saves are the record itself.
        if settings.GAOKAO_MODE == "client":
            from gaokao.client import capture

            capture.connect()
            # Intake takes numbers from this PC's own blocks (issue 20).
            from gaokao.client.models import ClientState
            from gaokao.numbering.services import use_local_holder

            use_local_holder(ClientState.enrolled_device)
