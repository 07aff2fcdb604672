"""The forms of the professional exam categories page: a category's fee in yuan (kept in
fen), name, order, offered or not, the subject tracks that may register and its items, and
the reason for the change; a new category also has its code and kind."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.audit.config import REASON_LIMIT
from gaokao.codes.models import Code, Table
from gaokao.professional.config import CODE_LIMIT, NAME_LIMIT, split_items
from gaokao.professional.models import Category

ITEMS_HELP = _("Separate items with 、 or commas. Empty: the category has no such item.")


def _text(**kwargs) -> forms.CharField:
    return forms.CharField(widget=forms.TextInput(attrs={"class": "form-control"}), **kwargs)


class CategoryForm(forms.Form):
    """A category's values and the reason for this change or for deleting it (the button
    pressed says which)."""

    SAVE, DELETE = "save", "delete"

    name = _text(label=_("Name"), max_length=NAME_LIMIT)
    fee = forms.DecimalField(
        label=_("Fee (yuan)"),
        min_value=0,
        max_digits=7,
        decimal_places=2,
        help_text=_("0: not offered to candidates until it has a fee."),
        widget=forms.NumberInput(attrs={"step": "0.01", "class": "form-control"}),
    )
    sort_order = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    is_active = forms.BooleanField(
        label=_("Offered"),
        required=False,
        help_text=_("Not offered: candidates can no longer choose it."),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    tracks = forms.MultipleChoiceField(
        label=_("Subject tracks that may register"),
        widget=forms.CheckboxSelectMultiple,
    )
    main_items = _text(label=_("Main items"), required=False, help_text=ITEMS_HELP)
    secondary_items = _text(label=_("Secondary items"), required=False, help_text=ITEMS_HELP)
    reason = _text(
        label=_("Reason for the change"),
        max_length=REASON_LIMIT,
        help_text=_("Kept in the audit trail with the change."),
    )
    action = forms.ChoiceField(
        choices=[(SAVE, SAVE), (DELETE, DELETE)],
        required=False,  # the button pressed; Enter in a field saves
    )

    def __init__(self, *args, category: Category | None = None, **kwargs):
        if category is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": category.name,
                    "fee": Decimal(category.fee_fen) / 100,
                    "sort_order": category.sort_order,
                    "is_active": category.is_active,
                    "tracks": category.tracks,
                    "main_items": "、".join(category.main_items),
                    "secondary_items": "、".join(category.secondary_items),
                },
            )
        super().__init__(*args, **kwargs)
        choices = Code.objects.choices(Table.SUBJECT_TRACK)
        offered = {code for code, _name in choices}
        held = [t for t in (category.tracks if category else []) if t not in offered]
        self.fields["tracks"].choices = [(c, f"{c} {n}") for c, n in choices] + [
            (t, t) for t in held
        ]

    def values(self) -> dict:
        """What the domain service takes: the fee in fen, the items as lists."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "fee_fen": int(data["fee"] * 100),
            "sort_order": data.get("sort_order"),
            "is_active": data["is_active"],
            "tracks": data["tracks"],
            "main_items": split_items(data["main_items"]),
            "secondary_items": split_items(data["secondary_items"]),
        }


class NewCategoryForm(CategoryForm):
    """A new category: its code and kind too, which never change later; offered unless
    unticked, and last unless an order is given."""

    code = _text(
        label=_("Code"),
        max_length=CODE_LIMIT,
        help_text=_("Letters or digits, e.g. MS; it cannot change later."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Category.Kind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    field_order = ["code", "name", "kind"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"is_active": True})
        super().__init__(*args, **kwargs)
        self.fields["sort_order"].required = False
        self.fields["sort_order"].help_text = _("Empty: after the last category.")
        del self.fields["action"]
