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
