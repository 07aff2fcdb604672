from django.apps import AppConfig
from django.core.signals import request_finished
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "gaokao.ops"
    verbose_name = _("Operations")

    def ready(self):
        from gaokao.audit.models import AuditEvent
        from gaokao.ops import middleware
        from gaokao.ops.metrics import audit_event_saved

        # Every audit event counts in the metrics: sign-ins, failures, saves, payments, sync.
        post_save.connect(audit_event_saved, sender=AuditEvent, dispatch_uid="ops-metrics")
        request_finished.connect(middleware.request_finished, dispatch_uid="ops-request-id")
