"""Code tables (代码表) in the admin: the province edits names, order and whether a code is
in use.
Every change is audited with its reason (gaokao.admin.audited)."""

from django.contrib import admin

from gaokao.admin.audited import Audited
from gaokao.codes.models import Code, RegistrationFee


@admin.register(Code)
class CodeAdmin(Audited, admin.ModelAdmin):
    list_display = ["table", "code", "name", "sort_order", "is_active"]
    list_filter = ["table", "is_active"]
    search_fields = ["code", "name"]


@admin.register(RegistrationFee)
class RegistrationFeeAdmin(Audited, admin.ModelAdmin):
    """The registration fee per season and subject track; the office web's 报名费 page is
    where the province normally sets it."""

    list_display = ["season", "subject_track", "fee_fen"]
    list_filter = ["season"]
