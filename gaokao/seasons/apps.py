from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SeasonsConfig(AppConfig):
    name = "gaokao.seasons"
    verbose_name = _("Seasons and schedule")
