from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "gaokao.privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        from gaokao.privacy import keys

        # Like SECRET_KEY: with a database server and no keys, refuse to start at all
        # rather than fail at the first ID number (docs/security.md).
        keys.check_configured()
