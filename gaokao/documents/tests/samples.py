"""Sample credential slips, login cards and login sheet rows for the tests and bench/."""

import random

from gaokao.documents.login_cards import LoginCard, LoginSheetRow
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


TRACKS = ["文史", "理工", "艺术（文）", "艺术（理）", "体育（文）", "体育（理）", "对口"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in "12")


def _id_number(rng: random.Random) -> str:
    """A resident ID number in form (18 characters, the last may be X); the check digit
    does not matter to a printout."""
    body = f"430102{rng.randint(2000, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return body + f"{rng.randint(0, 999):03d}" + rng.choice("0123456789X")


def make_card(n: int, **fields) -> LoginCard:
    """The n-th of a run of distinct login cards of one point."""
    rng = random.Random(n)
    values = {
        "portal_url": "https://gaokao.example.cn/portal/",
        "registration_number": f"4301{n % 10000:04d}",
        "password": "".join(rng.choice(ALPHABET) for _ in range(12)),
        "name": _name(rng),
        "id_number": _id_number(rng),
        "point": "0102002 长沙市芙蓉区第一中学报名点",
        "subject_track": rng.choice(TRACKS),
    }
    values.update(fields)
    return LoginCard(**values)


def make_sheet_row(n: int, **fields) -> LoginSheetRow:
    card = make_card(n)
    values = {
        "registration_number": card.registration_number,
        "name": card.name,
        "id_number": card.id_number,
        "subject_track": card.subject_track,
        "password": card.password,
    }
    values.update(fields)
    return LoginSheetRow(**values)
