from django import template

from gaokao.privacy.masking import mask_id

register = template.Library()


@register.filter
def masked(value):
    """{{ c.id_number|masked }} → 430***********0011"""
    return mask_id(value)
