from django.contrib import admin

from gaokao.seasons.models import Extension, Phase, Season


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


@admin.register(Season)
class SeasonAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "province", "is_current"]
    inlines = [PhaseInline]


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ["phase", "region", "ends_at", "reason", "created_at"]
    list_filter = ["phase__season", "phase__kind"]
    autocomplete_fields = ["region"]
