"""Incidents (突发事件) in the admin, read-only: they are handled in the office web."""

from django.contrib import admin

from gaokao.incidents.models import Incident, IncidentEntry


class EntryInline(admin.TabularInline):
    model = IncidentEntry
    fields = ["at", "kind", "by", "region", "point", "from_level", "to_level", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnly(admin.ModelAdmin):
    """Incidents are reported and handled in the office web, where each step is an audit
    event; here the province only reads them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnly):
    list_display = [
        "pk",
        "kind",
        "severity",
        "region",
        "point",
        "started_at",
        "reported_at",
        "status",
        "current_level",
    ]
    list_filter = ["status", "kind", "severity", "current_level"]
    search_fields = ["description", "resolution"]
    date_hierarchy = "reported_at"
    inlines = [EntryInline]


@admin.register(IncidentEntry)
class IncidentEntryAdmin(ReadOnly):
    list_display = ["incident", "at", "kind", "by", "region", "point"]
    list_filter = ["kind"]
    search_fields = ["text"]
