"""Regions (行政区划) and registration points (报名点) in the admin; every change is
audited with its reason (gaokao.admin.audited). As on the office web's screen
(gaokao.regions.services), a unit's codes are read-only once numbers were issued under it:
every registration number begins with them."""

from django.contrib import admin

from gaokao.admin.audited import Audited
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.regions.services import has_numbers


class CodesLockedOnceNumbered:
    locked_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and has_numbers(obj):
            fields += [f for f in self.locked_fields if f not in fields]
        return fields


@admin.register(Region)
class RegionAdmin(CodesLockedOnceNumbered, Audited, admin.ModelAdmin):
    locked_fields = ("code", "registration_code")
    list_display = ["code", "name", "level", "parent", "registration_code"]
    list_filter = ["level"]
    search_fields = ["code", "name", "registration_code"]


@admin.register(RegistrationPoint)
class RegistrationPointAdmin(CodesLockedOnceNumbered, Audited, admin.ModelAdmin):
    locked_fields = ("code", "county")
    list_display = ["code", "name", "county", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["county"]
