"""Regions (行政区划) and registration points (报名点) in the admin."""

from django.contrib import admin

from gaokao.regions.models import Region, RegistrationPoint


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "registration_code"]
    list_filter = ["level"]
    search_fields = ["code", "name", "registration_code"]
    list_editable = ["registration_code"]


@admin.register(RegistrationPoint)
class RegistrationPointAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "county", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["county"]
