"""Professional exams in the admin: the province configures the categories."""

from django.contrib import admin

from gaokao.admin.audited import Audited
from gaokao.professional.models import Category


@admin.register(Category)
class CategoryAdmin(Audited, admin.ModelAdmin):
    """The province's configuration of professional exams: name, fee, items, tracks. A
    category without a fee is not offered to candidates. Every change, the fee's
    included, is audited with its reason (gaokao.admin.audited)."""

    list_display = ["name", "code", "season", "kind", "fee_fen", "is_active", "sort_order"]
    list_filter = ["season", "kind", "is_active"]
