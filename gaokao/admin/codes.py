"""Code tables (代码表) in the admin: the province edits names, order and whether a code is
in use, as on the office web's 代码表 pages (gaokao.office.codes). A code's table and value
do not change once it exists, and a code that records hold is not deleted (it is retired).
Every change is audited with its reason (gaokao.admin.audited)."""

from django.contrib import admin
from django.utils.translation import ngettext

from gaokao.admin.audited import Audited
from gaokao.codes.models import Code, RegistrationFee
from gaokao.codes.services import uses_by_code


@admin.register(Code)
class CodeAdmin(Audited, admin.ModelAdmin):
    list_display = ["table", "code", "name", "sort_order", "is_active"]
    list_filter = ["table", "is_active"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "table", "code"] if obj is not None else fields

    def get_deleted_objects(self, objs, request):
        """Django's list of what a deletion takes, with each code that records hold among
        the protected: the admin then refuses the deletion and names them."""
        deleted, counts, perms, protected = super().get_deleted_objects(objs, request)
        objs = list(objs)
        for table in {o.table for o in objs}:
            uses = uses_by_code(table, [o.code for o in objs if o.table == table])
            for o in objs:
                if o.table == table and uses.get(o.code):
                    n = uses[o.code]
                    protected = [
                        *protected,
                        ngettext(
                            "%(code)s: %(n)d record holds it (retire it instead)",
                            "%(code)s: %(n)d records hold it (retire it instead)",
                            n,
                        )
                        % {"code": o, "n": n},
                    ]
        return deleted, counts, perms, protected


@admin.register(RegistrationFee)
class RegistrationFeeAdmin(Audited, admin.ModelAdmin):
    """The registration fee per season and subject track; the office web's 报名费 page is
    where the province normally sets it."""

    list_display = ["season", "subject_track", "fee_fen"]
    list_filter = ["season"]
