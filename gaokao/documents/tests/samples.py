"""Sample credential slips for the tests."""

import random

from gaokao.documents.slips import CredentialSlip

# Like accounts.services.PASSWORD_ALPHABET: no 0/O, 1/l/I.
ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"


def make_slip(n: int, **fields) -> CredentialSlip:
    """The n-th of a run of distinct slips, with many different characters as real names have."""
    rng = random.Random(n)
    values = {
        "unit": f"{102000 + n:07d} 芙蓉区第{n}中学报名点",
        "username": f"bmd{102000 + n:07d}",
        "password": "".join(rng.choice(ALPHABET) for _ in range(12)),
        "office_url": "https://gaokao.example.cn/office/login/",
        "role_label": "报名点",
        # Given names from anywhere in the basic CJK block (U+4E00–U+9FA5), all in the font.
        "real_name": rng.choice(SURNAMES) + "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in "12"),
    }
    values.update(fields)
    return CredentialSlip(**values)
