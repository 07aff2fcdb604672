"""Regions (行政区划) and registration points (报名点) in the admin; every change is
audited with its reason (gaokao.admin.audited)."""

from django.contrib import admin

from gaokao.admin.audited import Audited
from gaokao.regions.models import Region, RegistrationPoint


@admin.register(Region)
class RegionAdmin(Audited, admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "registration_code"]
    list_filter = ["level"]
    search_fields = ["code", "name", "registration_code"]


@admin.register(RegistrationPoint)
class RegistrationPointAdmin(Audited, admin.ModelAdmin):
    list_display = ["code", "name", "county", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["county"]
