from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from gaokao.accounts.models import StaffUser


@admin.register(StaffUser)
class StaffUserAdmin(UserAdmin):
    list_display = ["username", "real_name", "role", "region", "point", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "real_name", "mobile"]
    ordering = ["username"]
    autocomplete_fields = ["region", "point"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Unit"), {"fields": ["role", "region", "point"]}),
        (_("Real name"), {"fields": ["real_name", "id_number", "mobile", "real_name_verified_at"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2", "role", "region", "point"]}),
    ]
