"""`{% portal_field field %}`: office/_field.html in Python (issue 11 §3), for the data page's
some forty fields; the same HTML (gaokao/portal/tests/test_rendering.py compares them)."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def portal_field(field) -> str:
    help_text = (
        f'<div class="form-text">{conditional_escape(field.help_text)}</div>'
        if field.help_text
        else ""
    )
    errors = "".join(
        f'<div class="invalid-feedback d-block" role="alert">{conditional_escape(e)}</div>'
        for e in field.errors
    )
    label_for = conditional_escape(field.id_for_label)
    return mark_safe(  # noqa: S308 (every value escaped, the widget rendered safe)
        f'<div class="mb-3">\n  <label class="form-label" for="{label_for}">'
        f"{conditional_escape(field.label)}</label>\n  {field}\n  {help_text}\n  {errors}\n</div>\n"
    )
