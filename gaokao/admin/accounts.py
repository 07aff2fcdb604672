"""Staff accounts (工作人员账号) in the admin: the ID number shown masked, a password reset behind
re-authentication."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext_lazy as _

from gaokao.accounts.models import StaffUser
from gaokao.admin.audited import Audited
from gaokao.lib.idnumber import parse_resident_id, validate_resident_id
from gaokao.privacy.masking import mask_id
from gaokao.web import reauth


class StaffChangeForm(UserChangeForm):
    """The ID number on record is shown masked only (gaokao.privacy): a correction is typed
    in anew, never read back in full."""

    new_id_number = forms.CharField(
        label=_("New ID number"),
        required=False,
        max_length=18,
        validators=[validate_resident_id],
        help_text=_("Only to correct the number on record; leave empty to keep it."),
    )

    def save(self, commit=True):
        if self.cleaned_data.get("new_id_number"):
            self.instance.id_number = parse_resident_id(self.cleaned_data["new_id_number"]).number
        return super().save(commit)


@admin.register(StaffUser)
class StaffUserAdmin(Audited, UserAdmin):
    """Staff accounts: their role and unit among the rest; every change is audited with
    its reason (gaokao.admin.audited), the ID number masked in the diff."""

    form = StaffChangeForm
    readonly_fields = ["id_number_masked"]
    list_display = ["username", "real_name", "role", "region", "point", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "real_name", "mobile"]
    ordering = ["username"]
    autocomplete_fields = ["region", "point"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Unit"), {"fields": ["role", "region", "point"]}),
        (
            _("Real name"),
            {
                "fields": [
                    "real_name",
                    "id_number_masked",
                    "new_id_number",
                    "mobile",
                    "real_name_verified_at",
                ]
            },
        ),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2", "role", "region", "point"]}),
    ]

    @admin.display(description=_("ID number"))
    def id_number_masked(self, obj: StaffUser) -> str:
        return mask_id(obj.id_number)

    def user_change_password(self, request, id, form_url=""):
        """Setting another account's password is a credential reset: re-authenticate."""
        if not reauth.is_recent(request):
            return reauth.ask(request)
        return super().user_change_password(request, id, form_url)
