from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionConfig(AppConfig):
    name = "gaokao.submission"
    verbose_name = _("Submission")
