from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NumberingConfig(AppConfig):
    name = "gaokao.numbering"
    verbose_name = _("Registration number ranges")
