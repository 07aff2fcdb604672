"""Code tables (代码表) in the admin: the province edits names, order and whether a code is
in use."""

from django.contrib import admin

from gaokao.codes.models import Code


@admin.register(Code)
class CodeAdmin(admin.ModelAdmin):
    list_display = ["table", "code", "name", "sort_order", "is_active"]
    list_filter = ["table", "is_active"]
    list_editable = ["name", "sort_order", "is_active"]
    search_fields = ["code", "name"]
