"""Configuration changed in the admin goes into the audit chain (issue 19): every save,
deletion and inline row of the ModelAdmins that mix in `Audited` is recorded by
`gaokao.audit.services.record` as a diff (the fields changed, before and after) with who,
when and the reason the user gave, in the transaction of the change. Django's own
`LogEntry` is kept, but it is neither hash-chained nor visible in the office web.

Every change form carries a required reason (`change_reason`); a deletion asks for it on
its confirmation page. Editing in the change list (`list_editable`) is not offered, as it
has no place for a reason."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gaokao.audit import config
from gaokao.audit.models import Action
from gaokao.privacy.masking import mask_id

REASON = "change_reason"
REASON_LIMIT = config.REASON_LIMIT


def reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason for the change"),
        max_length=REASON_LIMIT,
        help_text=_("Required. It is kept in the audit trail with the change."),
    )


def with_reason(form_class: type[forms.BaseForm]) -> type[forms.BaseForm]:
    """`form_class` with the required reason among its declared fields."""
    if REASON in form_class.base_fields:
        return form_class
    return type(form_class.__name__, (form_class,), {REASON: reason_field()})


class Audited:
    """Mix into a ModelAdmin (before the admin class) to audit its changes."""

    # Never in a diff: secrets, sign-in state, blind indexes; shown masked (gaokao.privacy).
    audit_ignored: frozenset[str] = config.IGNORED
    audit_masked: config.Masks = {"id_number": mask_id}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.form = with_reason(cls.form)
        if getattr(cls, "add_form", None) is not None:
            cls.add_form = with_reason(cls.add_form)

    # ── the reason on every form ─────────────────────────────────────────────────────────

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f != REASON]})
            for name, options in super().get_fieldsets(request, obj)
        ]
        if not self.has_change_permission(request, obj) and obj is not None:
            return fieldsets  # read-only: nothing to give a reason for
        return [*fieldsets, (_("Why"), {"fields": [REASON]})]

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f != REASON]

    # ── what a row is, for the diff ──────────────────────────────────────────────────────

    def audit_snapshot(self, obj: models.Model) -> dict[str, Any]:
        return config.snapshot(obj, ignored=self.audit_ignored)

    def stored_snapshot(self, obj: models.Model) -> dict[str, Any]:
        """The row as the database holds it (the form has already changed `obj`)."""
        return config.stored_snapshot(obj, ignored=self.audit_ignored)

    def audit_diff(self, before: dict, after: dict) -> dict[str, list]:
        return config.diff(before, after, masked=self.audit_masked)

    def audit(
        self, request: HttpRequest, obj: models.Model, action: str, diff: dict, reason: str
    ) -> None:
        config.record_change(action, obj, diff, reason=reason, request=request)

    def change_reason(self, request: HttpRequest, form=None) -> str:
        """The reason given with this change; none is a refusal (the forms require it, so
        only a request made by hand gets here without one)."""
        if form is not None and hasattr(form, "cleaned_data"):
            reason = form.cleaned_data.get(REASON, "")
        else:
            reason = request.POST.get(REASON, "")
        try:
            return config.clean_reason(reason)
        except config.ReasonRequired as e:
            raise PermissionDenied(str(e.message)) from e

    # ── saves ────────────────────────────────────────────────────────────────────────────

    def save_model(self, request, obj, form, change):
        reason = self.change_reason(request, form)
        before = self.stored_snapshot(obj) if change else {}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            action = Action.CONFIG_CHANGED if change else Action.CONFIG_ADDED
            self.audit(
                request, obj, action, self.audit_diff(before, self.audit_snapshot(obj)), reason
            )

    def save_formset(self, request, form, formset, change):
        """Inline rows: each added, changed or deleted row is an event of its own, with the
        reason given on the parent's form."""
        reason = self.change_reason(request, form)
        with transaction.atomic():
            formset.save(commit=False)
            for obj in formset.deleted_objects:
                before = self.stored_snapshot(obj)
                obj.delete()
                self.audit(request, obj, Action.CONFIG_DELETED, self.audit_diff(before, {}), reason)
            for obj, _changed in formset.changed_objects:
                before = self.stored_snapshot(obj)
                obj.save()
                diff = self.audit_diff(before, self.audit_snapshot(obj))
                self.audit(request, obj, Action.CONFIG_CHANGED, diff, reason)
            for obj in formset.new_objects:
                obj.save()
                diff = self.audit_diff({}, self.audit_snapshot(obj))
                self.audit(request, obj, Action.CONFIG_ADDED, diff, reason)
            formset.save_m2m()

    # ── deletions ────────────────────────────────────────────────────────────────────────

    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "POST" and not request.POST.get(REASON, "").strip():
            messages.error(request, gettext("Give a reason for the deletion."))
            return redirect(request.get_full_path())
        return super().delete_view(request, object_id, extra_context)

    def render_delete_form(self, request, context):
        return with_reason_input(super().render_delete_form(request, context))

    def delete_model(self, request, obj):
        reason = self.change_reason(request)
        before = self.audit_snapshot(obj)
        with transaction.atomic():
            super().delete_model(request, obj)
            self.audit(request, obj, Action.CONFIG_DELETED, self.audit_diff(before, {}), reason)

    def delete_queryset(self, request, queryset):
        reason = self.change_reason(request)
        with transaction.atomic():
            rows = [(obj, self.audit_snapshot(obj)) for obj in queryset]
            super().delete_queryset(request, queryset)
            for obj, before in rows:
                self.audit(request, obj, Action.CONFIG_DELETED, self.audit_diff(before, {}), reason)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected_with_reason, name, description)
        return actions


# Django's confirmation pages with the reason in their form: gaokao.admin is no app and
# has no template folder, so the input goes in after the page is rendered.
REASON_INPUT = (
    '<p><label for="id_change_reason">%s</label> '
    '<input type="text" name="change_reason" id="id_change_reason" maxlength="200" required></p>'
)
POST_YES = '<input type="hidden" name="post" value="yes">'


def with_reason_input(response):
    response.render()
    field = REASON_INPUT % escape(gettext("Reason for the change"))
    response.content = response.content.decode().replace(POST_YES, POST_YES + field).encode()
    return response


def delete_selected_with_reason(modeladmin, request, queryset):
    """Django's bulk deletion, whose confirmation also asks for the reason: a confirmation
    without one shows the page again."""
    if request.POST.get("post") and not request.POST.get(REASON, "").strip():
        messages.error(request, gettext("Give a reason for the deletion."))
        request.POST = request.POST.copy()
        del request.POST["post"]
    response = delete_selected(modeladmin, request, queryset)
    return with_reason_input(response) if response is not None else None
