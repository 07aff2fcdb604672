"""Issue 11 §3: the portal's forms render their widgets in Python (gaokao/portal/rendering.py)
for speed; the HTML must be exactly what Django's template renderer gives."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from gaokao.codes.models import Code, Table
from gaokao.portal.forms import (
    CandidateDataForm,
    ConfirmSaveForm,
    FamilyFormSet,
    PortalSignInForm,
    ResumeFormSet,
)
from gaokao.portal.rendering import RENDERER
from gaokao.testing.factories import CandidateFactory

pytestmark = pytest.mark.django_db

HOSTILE = '"><script>alert(1)</script>&amp; 长跑'


def both(make):
    """The same form rendered by Django's template renderer and by ours, field by field."""
    ours, django = make(RENDERER), make(DjangoTemplates())
    pairs = []
    for name in ours.fields:
        pairs.append((name, str(ours[name]), str(django[name])))
    return pairs


def assert_same(make):
    pairs = both(make)
    assert pairs
    for name, ours, django in pairs:
        assert ours == django, name


def test_s6_data_form_renders_as_django_does(codes, point):
    Code.objects.create(
        table=Table.SCHOOL, code="4301001", name='长沙<"一中">', attrs={"county": point.county.code}
    )
    Code.objects.create(
        table=Table.SCHOOL, code="4399001", name="别县中学", attrs={"county": "439999"}
    )
    candidate = CandidateFactory(point=point, specialties=HOSTILE, mobile="13800000000")
    initial = {"version": 3, "specialties": HOSTILE, "school": "4301001", "mobile": "138"}
    for read_only in (False, True):
        assert_same(
            lambda renderer, read_only=read_only: CandidateDataForm(
                initial=initial,
                county=candidate.point.county,
                read_only=read_only,
                renderer=renderer,
            )
        )
    posted = {"version": "4", "political_status": "03", "awards": HOSTILE, "phone": "<b>"}
    assert_same(
        lambda renderer: CandidateDataForm(posted, county=candidate.point.county, renderer=renderer)
    )


def test_s6_row_and_password_forms_render_as_django_does():
    rows = [{"start": "2014-09", "school_or_employer": HOSTILE}]
    for formset in (ResumeFormSet, FamilyFormSet):
        ours = formset(initial=rows, prefix="p")
        django = formset(initial=rows, prefix="p")
        django.renderer = DjangoTemplates()  # before its forms are made
        assert str(ours.management_form) == str(django.management_form)
        for mine, theirs in zip(ours.forms, django.forms, strict=True):
            for name in mine.fields:
                assert str(mine[name]) == str(theirs[name]), name
    assert_same(lambda renderer: ConfirmSaveForm({"confirmation_password": "x"}, renderer=renderer))
    assert_same(
        lambda renderer: PortalSignInForm({"registration_number": HOSTILE}, renderer=renderer)
    )


class Odd(forms.Form):
    """Attributes true, false and safe; an option of a number; a grouped select."""

    flag = forms.CharField(
        widget=forms.TextInput(attrs={"required": True, "hidden": False, "data-x": mark_safe("&")})
    )
    number = forms.IntegerField(widget=forms.NumberInput(attrs={"min": 0}))
    pick = forms.ChoiceField(
        choices=[("", "—"), ("Group <1>", [(1, "one & 1"), (2, mark_safe("<i>2</i>"))])],
        widget=forms.Select(attrs={"disabled": True}),
    )
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")])
    text = forms.CharField(widget=forms.Textarea)


@pytest.mark.parametrize(
    "data", [None, {"flag": HOSTILE, "number": "7", "pick": "2", "many": ["a", "b"], "text": ""}]
)
def test_s6_any_widget_renders_as_django_does(data):
    assert_same(lambda renderer: Odd(data, renderer=renderer))


def test_s6_portal_field_tag_renders_as_the_field_template_does(codes, point):
    """`{% portal_field %}` (the data page's fields) gives office/_field.html's HTML, with
    help texts and errors."""
    from django.template import Context, Template

    form = CandidateDataForm(
        {"version": "1", "mobile": "<x>", "specialties": HOSTILE}, county=point.county
    )
    form.add_error("mobile", HOSTILE)
    form.add_error("specialties", "two & more")
    ours = Template("{% load portal_forms %}{% portal_field field %}")
    django = Template('{% include "office/_field.html" %}')
    for name in form.fields:
        context = Context({"field": form[name]})
        assert ours.render(context) == django.render(context), name
