"""Form widgets rendered in Python (issue 11 §3): the candidate's data page has some forty
widgets and is rendered three times in a session; through Django's template-based widget
renderer they were about a third of the portal's CPU.

`FastRenderer` renders Django's own input, textarea and select templates with Python code
that produces the same HTML, byte for byte (gaokao/portal/tests/test_rendering.py compares
the two); every other template goes through Django's renderer as before."""

from html import escape as _escape  # what django.utils.html.escape does, unwrapped

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime

_INPUTS = {
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "hidden", "password", "number", "email", "url", "tel")
}
_TEXTAREA = "django/forms/widgets/textarea.html"
_SELECT = "django/forms/widgets/select.html"
_OPTION = "django/forms/widgets/select_option.html"


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: the filter keeps a safe value safe."""
    if type(value) is str:  # the common case, fast
        return _escape(value)
    text = "%s" % (value,)  # noqa: UP031 (the filter's own formatting)
    return text if isinstance(value, SafeData) else _escape(text)


def _shown(value) -> str:
    """`{{ value }}` as the template engine shows it (localised, escaped)."""
    if type(value) is str:
        return _escape(value)
    return str(conditional_escape(localize(template_localtime(value))))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(
            f" {_shown(name)}" if value is True else f' {_shown(name)}="{_formatted(value)}"'
        )
    return "".join(parts)


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: dict) -> str:
    value = _shown(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'
    )


def _option(option: dict) -> str:
    return (
        f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_shown(option['label'])}</option>\n"
    )


class FastRenderer(DjangoTemplates):
    """Django's form renderer, with the common widgets rendered in Python."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is None or widget.get("template_name") != template_name:
            return super().render(template_name, context, request)
        if template_name in _INPUTS:
            return _input(widget)
        if template_name == _TEXTAREA:
            return _textarea(widget)
        if template_name == _SELECT:
            html = self._select(widget, context, request)
            if html is not None:
                return html
        return super().render(template_name, context, request)

    def _select(self, widget: dict, context, request) -> str | None:
        parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
            for option in group_choices:
                if option["template_name"] != _OPTION:
                    return None
                parts.append(f"\n  {_option(option)}")
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts).strip())  # noqa: S308 (every part escaped above)


RENDERER = FastRenderer()
