"""Notices (通知公告) in the admin, read-only: they are posted and withdrawn in the office web."""

from django.contrib import admin

from gaokao.notices.models import Attachment, Notice


class AttachmentInline(admin.TabularInline):
    model = Attachment
    fields = ["filename", "size", "content_type", "sha256"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """Read-only: the province sees every notice, withdrawn ones included. Notices are
    posted and withdrawn in the office web (so that each is an audit event), never here,
    and never deleted."""

    list_display = ["title", "region", "author", "posted_at", "pinned", "withdrawn_at"]
    list_filter = ["pinned", ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "body"]
    date_hierarchy = "posted_at"
    inlines = [AttachmentInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
