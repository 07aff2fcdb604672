from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.web.forms import StyledForm
from gaokao.payments.models import Category, Registration


class CategoryChoiceForm(StyledForm):
    """One category's choice: its items (if it has them), the phone for the exam period,
    and the confirmation password (O5). The service checks everything again."""

    main_item = forms.ChoiceField(label=_("Main item"), required=False)
    secondary_item = forms.ChoiceField(label=_("Secondary item"), required=False)
    exam_phone = forms.CharField(
        label=_("Mobile phone during the exams"),
        max_length=11,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    confirmation_password = forms.CharField(
        label=_("Confirmation password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, category: Category, *args, registration: Registration | None = None, **kw):
        if registration is not None:
            kw.setdefault(
                "initial",
                {
                    "main_item": registration.main_item,
                    "secondary_item": registration.secondary_item,
                    "exam_phone": registration.exam_phone,
                },
            )
        super().__init__(*args, prefix=category.code, **kw)
        for name, items in (
            ("main_item", category.main_items),
            ("secondary_item", category.secondary_items),
        ):
            if items:
                self.fields[name].choices = [("", "—"), *((i, i) for i in items)]
                self.fields[name].required = True
            else:
                del self.fields[name]

    @property
    def cleaned_choice(self) -> dict:
        data = dict(self.cleaned_data)
        data.setdefault("main_item", "")
        data.setdefault("secondary_item", "")
        return data
