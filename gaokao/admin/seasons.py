"""Seasons (报名季) and their phases in the admin; extensions read-only."""

from django.contrib import admin

from gaokao.admin.audited import Audited
from gaokao.seasons.models import Extension, Phase, Season


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


@admin.register(Season)
class SeasonAdmin(Audited, admin.ModelAdmin):
    """A season and its phases' dates (the inline rows): each change is audited with the
    reason given on the season's form (gaokao.admin.audited)."""

    list_display = ["name", "year", "province", "is_current", "retain_until"]
    inlines = [PhaseInline]


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    """Read-only: extensions are granted and withdrawn on the office web's 延期 page, which
    keeps one row per region and phase and records each step in the audit trail."""

    list_display = ["phase", "region", "ends_at", "reason", "created_at"]
    list_filter = ["phase__season", "phase__kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
