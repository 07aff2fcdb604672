"""What a card holds: the 256-byte text block of the four card layouts
(docs/domain/idcard-reader.md §5) and the identity taken from it.

The card's address is read over but never kept (O4, data minimisation). The photo stays
as the raw 1024-byte WLT blob: no open decoder exists (§6).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.idcard.protocol import (
    PHOTO_SIZE,
    TEXT_SIZE,
    BadCardData,
    ProtocolError,
    UnknownCardType,
)
from gaokao.lib.idnumber import MESSAGE_CHECKSUM, InvalidIdNumber, check_digit, parse_resident_id

RESIDENT = "resident"  # 居民身份证
HMT_PERMIT = "hmt_permit"  # 港澳台居民居住证
FOREIGNER_2017 = "foreigner_2017"  # 外国人永久居留身份证, 2017 version
FOREIGNER_2023 = "foreigner_2023"  # 外国人永久居留身份证, 2023 version
CARD_TYPES = (RESIDENT, HMT_PERMIT, FOREIGNER_2017, FOREIGNER_2023)

# The project's document-type code table (presets/hunan-2020/codes.csv, ZJLXDM).
DOCUMENT_TYPES = {RESIDENT: "1", HMT_PERMIT: "2", FOREIGNER_2017: "3", FOREIGNER_2023: "3"}

LONG_TERM = "长期"
SEX_CODES = ("1", "2", "0", "9")  # 男, 女, unknown, unspecified: the last two kept as read
HMT_PREFIXES = ("810000", "820000", "830000")  # HK, Macao, Taiwan; docs/domain/idcard-reader.md §5

# Layouts: field → (byte offset, byte size) in the 256-byte UCS-2LE block.
_COMMON = {
    "name": (0, 30),
    "sex": (30, 2),
    "ethnicity": (32, 4),
    "birth_date": (36, 16),
    "address": (52, 70),
    "id_number": (122, 36),
    "issuing_authority": (158, 30),
    "valid_from": (188, 16),
    "valid_until": (204, 16),
}
LAYOUTS: dict[str, dict[str, tuple[int, int]]] = {
    RESIDENT: {**_COMMON, "reserved": (220, 36)},
    HMT_PERMIT: {
        **_COMMON,
        "travel_permit": (220, 18),
        "issue_count": (238, 4),
        "type_flag": (248, 2),
    },
    FOREIGNER_2017: {
        "english_name": (0, 120),
        "sex": (120, 2),
        "id_number": (122, 30),
        "nationality": (152, 6),
        "name": (158, 30),
        "valid_from": (188, 16),
        "valid_until": (204, 16),
        "birth_date": (220, 16),
        "card_version": (236, 4),
        "issuing_authority": (240, 8),
        "type_flag": (248, 2),
    },
    FOREIGNER_2023: {
        "name": (0, 30),
        "sex": (30, 2),
        "renewal_count": (32, 4),
        "birth_date": (36, 16),
        "english_name": (52, 70),  # characters 1–35
        "id_number": (122, 36),
        # Reserved in the source, but where the other cards keep the issuing authority:
        # read as such (blank if the card leaves it empty).
        "issuing_authority": (158, 30),
        "valid_from": (188, 16),
        "valid_until": (204, 16),
        "english_name_2": (220, 22),  # characters 36–46
        "nationality": (242, 6),
        "type_flag": (248, 2),
    },
}
TYPE_FLAG = (248, 2)
TYPE_FLAGS = {
    "I": FOREIGNER_2017,
    "Y": FOREIGNER_2023,
    "J": HMT_PERMIT,
    " ": RESIDENT,
    "\0": RESIDENT,
}
FLAG_OF = {FOREIGNER_2017: "I", FOREIGNER_2023: "Y", HMT_PERMIT: "J", RESIDENT: " "}

# The longest name each layout can hold, in characters.
NAME_LENGTHS = {RESIDENT: 15, HMT_PERMIT: 15, FOREIGNER_2017: 60, FOREIGNER_2023: 46}
AUTHORITY_LENGTHS = {RESIDENT: 15, HMT_PERMIT: 15, FOREIGNER_2017: 4, FOREIGNER_2023: 15}

# 2017: 3 Latin letters (the nationality) + 12 digits. 2023: "9" + 16 digits + a MOD 11-2
# check digit, computed as for resident ID numbers. Source: the immigration administration's
# 《新版外国人永久居留身份证机读信息规则（2023版）》, as republished by reader vendors.
FOREIGNER_2017_NUMBER = re.compile(r"[A-Z]{3}[0-9]{12}")
FOREIGNER_2023_NUMBER = re.compile(r"9[0-9]{16}[0-9X]")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class InvalidCard(Exception):
    """Card data handed to the server (CardIdentity.from_json) that does not hold up.

    Deliberately not a ValueError: views catch ValueError for a body that is no JSON at all
    and must still tell this case apart, with its message for staff.
    """

    def __init__(self, message, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class CardIdentity:
    """The identity on an ID card (居民身份证, 居住证 or 永久居留身份证), without the address."""

    card_type: str
    name: str
    sex: str
    ethnicity: str
    birth_date: dt.date
    id_number: str
    issuing_authority: str
    valid_from: dt.date | None
    valid_until: dt.date | None  # None: long-term (长期)
    photo_wlt: bytes = field(default=b"", repr=False)

    @property
    def document_type(self) -> str:
        return DOCUMENT_TYPES[self.card_type]

    @property
    def long_term(self) -> bool:
        return self.valid_until is None

    def to_json(self) -> dict:
        return {
            "card_type": self.card_type,
            "document_type": self.document_type,
            "name": self.name,
            "sex": self.sex,
            "ethnicity": self.ethnicity,
            "birth_date": self.birth_date.isoformat(),
            "id_number": self.id_number,
            "issuing_authority": self.issuing_authority,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "photo_wlt": base64.b64encode(self.photo_wlt).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data, today: dt.date | None = None) -> CardIdentity:
        """Rebuild and check card data that came back through the browser: untrusted."""
        return _from_json(data, today or timezone.localdate())


# ── reading the text block ────────────────────────────────────────────────────────────


def card_type_of(text: bytes) -> str:
    """The layout of a text block, from the type flag at byte 248."""
    offset, size = TYPE_FLAG
    flag = text[offset : offset + size]
    if flag[1:] == b"\0":
        kind = TYPE_FLAGS.get(chr(flag[0]))
        if kind is not None:
            return kind
    raise UnknownCardType()


def _text(text: bytes, layout: dict, name: str) -> str:
    offset, size = layout[name]
    try:
        value = text[offset : offset + size].decode("utf-16-le")
    except UnicodeDecodeError:
        raise BadCardData() from None
    value = value.rstrip(" \0").lstrip(" ")
    if not value.isprintable():
        raise BadCardData()
    return value


def _card_date(value: str, *, long_term_ok: bool = False) -> dt.date | None:
    if long_term_ok and value == LONG_TERM:
        return None
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        raise BadCardData()
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise BadCardData() from None


def parse_text(text256: bytes, photo: bytes) -> CardIdentity:
    """The identity in a card's 256-byte text block (any of the four layouts) and its WLT
    photo. Raises UnknownCardType, BadCardData or ProtocolError (all ReaderErrors)."""
    text256, photo = bytes(text256), bytes(photo)
    if len(text256) != TEXT_SIZE or len(photo) not in (0, PHOTO_SIZE):
        raise ProtocolError()
    card_type = card_type_of(text256)
    layout = LAYOUTS[card_type]

    def get(name: str) -> str:
        return _text(text256, layout, name)

    name = get("name")
    if card_type == FOREIGNER_2017 and not name:
        name = get("english_name")
    elif card_type == FOREIGNER_2023 and not name:
        # Characters 1–35 and 36–46: joined before stripping, so a space between stays.
        (start1, size1), (start2, size2) = layout["english_name"], layout["english_name_2"]
        raw = text256[start1 : start1 + size1] + text256[start2 : start2 + size2]
        name = _text(raw, {"english_name": (0, len(raw))}, "english_name")
    sex = get("sex")
    ethnicity = get("ethnicity") if card_type == RESIDENT else ""
    if not name or sex not in SEX_CODES:
        raise BadCardData()
    if card_type == RESIDENT and not re.fullmatch(r"[0-9]{2}", ethnicity):
        raise BadCardData()
    birth_date = _card_date(get("birth_date"))
    id_number = unicodedata.normalize("NFKC", get("id_number")).strip().upper()
    if not id_number:
        raise BadCardData()
    # A card always has a start of validity; an end, or 长期.
    valid_from = _card_date(get("valid_from"))
    valid_until = _card_date(get("valid_until"), long_term_ok=True)
    return CardIdentity(
        card_type=card_type,
        name=name,
        sex=sex,
        ethnicity=ethnicity,
        birth_date=birth_date,
        id_number=id_number,
        issuing_authority=get("issuing_authority"),
        valid_from=valid_from,
        valid_until=valid_until,
        photo_wlt=photo,
    )


# ── checking card data from the browser ───────────────────────────────────────────────

FIELDS = (
    "card_type",
    "name",
    "sex",
    "ethnicity",
    "birth_date",
    "id_number",
    "issuing_authority",
    "valid_from",
    "valid_until",
    "photo_wlt",
)
NULLABLE = ("valid_from", "valid_until")
MAX_PHOTO_BASE64 = 4 * ((PHOTO_SIZE + 2) // 3)

LABELS = {
    "card_type": _("card type"),
    "document_type": _("document type"),
    "name": _("full name"),
    "sex": _("sex"),
    "ethnicity": _("ethnicity"),
    "birth_date": _("birth date"),
    "id_number": _("document number"),
    "issuing_authority": _("issuing authority"),
    "valid_from": _("valid from"),
    "valid_until": _("valid until"),
    "photo_wlt": _("card photo"),
}


def _json_date(data: dict, key: str) -> dt.date | None:
    value = data[key]
    if value is None and key in NULLABLE:
        return None
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise InvalidCard(
            _("The %(field)s in the card data is not a date.") % {"field": LABELS[key]}, key
        )
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidCard(
            _("The %(field)s in the card data is not a real date.") % {"field": LABELS[key]},
            key,
        ) from None


def _from_json(data, today: dt.date) -> CardIdentity:
    if not isinstance(data, dict):
        raise InvalidCard(_("The card data is not a JSON object."))
    for key in FIELDS:
        if key not in data:
            raise InvalidCard(_("The card data lacks the %(field)s.") % {"field": LABELS[key]}, key)
        if not isinstance(data[key], str) and not (key in NULLABLE and data[key] is None):
            raise InvalidCard(
                _("The %(field)s in the card data is not text.") % {"field": LABELS[key]}, key
            )
    extra = sorted(set(data) - set(FIELDS) - {"document_type"})
    if extra:
        raise InvalidCard(_("The card data has unexpected fields."), extra[0])

    card_type = data["card_type"]
    if card_type not in CARD_TYPES:
        raise InvalidCard(_("The card type is not one the reader reads."), "card_type")
    if "document_type" in data and data["document_type"] != DOCUMENT_TYPES[card_type]:
        raise InvalidCard(_("The document type does not match the card type."), "document_type")

    name = data["name"].strip()
    if not name or len(name) > NAME_LENGTHS[card_type]:
        raise InvalidCard(_("The name is empty or longer than the card can hold."), "name")
    if not name.isprintable():
        raise InvalidCard(_("The name contains characters no card holds."), "name")

    sex = data["sex"]
    if sex not in SEX_CODES:
        raise InvalidCard(_("The sex code must be 1, 2, 0 or 9."), "sex")

    ethnicity = data["ethnicity"]
    if card_type == RESIDENT:
        if not re.fullmatch(r"[0-9]{2}", ethnicity):
            raise InvalidCard(_("The ethnicity code must have two digits."), "ethnicity")
    elif ethnicity:
        raise InvalidCard(_("This kind of card has no ethnicity."), "ethnicity")

    birth_date = _json_date(data, "birth_date")
    if birth_date is None or birth_date > today:
        raise InvalidCard(_("The birth date lies in the future."), "birth_date")

    id_number = _check_number(card_type, data["id_number"], birth_date, sex, today)

    authority = data["issuing_authority"].strip()
    if len(authority) > AUTHORITY_LENGTHS[card_type] or not authority.isprintable():
        raise InvalidCard(
            _("The issuing authority is longer than the card can hold."), "issuing_authority"
        )

    valid_from = _json_date(data, "valid_from")
    valid_until = _json_date(data, "valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        raise InvalidCard(_("The card's validity ends before it begins."), "valid_until")

    photo = data["photo_wlt"]
    try:
        if len(photo) > MAX_PHOTO_BASE64:
            raise ValueError
        photo_wlt = base64.b64decode(photo, validate=True)
        if len(photo_wlt) not in (0, PHOTO_SIZE):
            raise ValueError
    except (ValueError, binascii.Error):
        raise InvalidCard(
            _("The card photo must be the card's 1024 bytes of WLT data, in base64."),
            "photo_wlt",
        ) from None

    return CardIdentity(
        card_type=card_type,
        name=name,
        sex=sex,
        ethnicity=ethnicity,
        birth_date=birth_date,
        id_number=id_number,
        issuing_authority=authority,
        valid_from=valid_from,
        valid_until=valid_until,
        photo_wlt=photo_wlt,
    )


def _check_number(card_type: str, value: str, birth_date: dt.date, sex: str, today) -> str:
    if card_type in (RESIDENT, HMT_PERMIT):
        try:
            parsed = parse_resident_id(value, today=today)
        except InvalidIdNumber as e:
            raise InvalidCard(e.message, "id_number") from e
        is_permit = parsed.number.startswith(HMT_PREFIXES)
        if card_type == HMT_PERMIT and not is_permit:
            raise InvalidCard(
                _("A residence permit number starts with 810000, 820000 or 830000."),
                "id_number",
            )
        if card_type == RESIDENT and is_permit:
            raise InvalidCard(
                _("This number belongs to a residence permit, not to a resident ID card."),
                "id_number",
            )
        if parsed.birth_date != birth_date:
            raise InvalidCard(
                _("The birth date differs from the one in the ID number."), "birth_date"
            )
        if sex in ("1", "2") and parsed.sex != sex:
            raise InvalidCard(_("The sex differs from the one the ID number gives."), "sex")
        return parsed.number
    number = unicodedata.normalize("NFKC", value).strip().upper()
    if card_type == FOREIGNER_2017:
        if not FOREIGNER_2017_NUMBER.fullmatch(number):
            raise InvalidCard(
                _("A permanent residence card number (2017 version) is 3 letters and 12 digits."),
                "id_number",
            )
        return number
    if not FOREIGNER_2023_NUMBER.fullmatch(number):
        raise InvalidCard(
            _(
                "A permanent residence card number (2023 version) has 18 characters and"
                " starts with 9."
            ),
            "id_number",
        )
    if check_digit(number[:17]) != number[17]:
        raise InvalidCard(MESSAGE_CHECKSUM, "id_number")
    return number
