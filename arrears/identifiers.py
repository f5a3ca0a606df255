"""Validation and masking of Chinese personal and organisational identifiers.

Covered identifiers:

* 居民身份证号 - resident ID number, GB 11643-1999 (18-character form only);
* 统一社会信用代码 - unified social credit code, GB 32100-2015;
* 县级行政区划代码 - county-level administrative division code (GB/T 2260 layout);
* mainland mobile numbers and landline numbers with an area code.

The ``validate_*`` functions take one string and raise
:class:`django.core.exceptions.ValidationError` with a stable ``code``, so they can be listed
directly in ``validators=[...]`` of model and form fields.  They are lenient about presentation
(whitespace, lowercase letters, full-width characters typed with a Chinese IME) and check the
value that the matching ``normalize_*`` function returns; callers should store that normalised
form, e.g. from a form's ``clean_<field>()`` or a model's ``clean()``.

The ``mask_*`` functions give display/log-safe versions of personal information (个人信息保护法,
PIPL).  They never raise: malformed input is masked as far as possible, and ``None`` or an empty
string gives ``""``.  Credit codes identify organisations and are public, so they have no mask.

Messages are written in Simplified Chinese, the project's source language for translations.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Final, Literal, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CREDIT_CODE_CHARSET",
    "CREDIT_CODE_LENGTH",
    "EARLIEST_BIRTH_DATE",
    "MOBILE_LENGTH",
    "PROVINCE_CODES",
    "RESIDENT_ID_LENGTH",
    "mask_bank_account",
    "mask_phone",
    "mask_resident_id",
    "normalize_credit_code",
    "normalize_phone",
    "normalize_resident_id",
    "validate_credit_code",
    "validate_division_code",
    "validate_mobile",
    "validate_phone",
    "validate_resident_id",
]

# First two digits of a GB/T 2260 division code.  71 (Taiwan), 81 (Hong Kong) and 82 (Macao) are
# assigned codes; 83 appears on residence permits for Taiwan residents and 91 is listed in the
# reference tables commonly used for ID checks.  Rejecting a genuine document costs more than
# accepting one of these unusual prefixes.
PROVINCE_CODES: Final[frozenset[str]] = frozenset(
    {
        *("11", "12", "13", "14", "15"),
        *("21", "22", "23"),
        *("31", "32", "33", "34", "35", "36", "37"),
        *("41", "42", "43", "44", "45", "46"),
        *("50", "51", "52", "53", "54"),
        *("61", "62", "63", "64", "65"),
        *("71", "81", "82", "83", "91"),
    }
)

# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------

_WHITESPACE_RE: Final = re.compile(r"\s+")
_PHONE_SEPARATORS_RE: Final = re.compile(r"[\s\-]+")


def _nfkc(value: str) -> str:
    # NFKC folds full-width digits/letters/"＋"/"－" from Chinese input methods to ASCII.
    return unicodedata.normalize("NFKC", value)


def _compact(value: str) -> str:
    """NFKC-fold ``value`` and remove all whitespace."""
    return _WHITESPACE_RE.sub("", _nfkc(value))


def _today() -> date:
    # The server clock may run in UTC while users are in China: use the project's TIME_ZONE so
    # that someone born "today" in Beijing is not rejected as born in the future.
    if settings.USE_TZ:
        return timezone.localdate()
    return date.today()


def _mask_fallback(text: str) -> str:
    """Mask a value whose structure is unknown: keep at most the last two characters.

    Short values keep less, so that masking never reveals most of the value.
    """
    length = len(text)
    if length <= 2:
        keep = 0
    elif length <= 4:
        keep = 1
    else:
        keep = 2
    return "*" * (length - keep) + text[length - keep :]


# ---------------------------------------------------------------------------------------------
# Resident ID number (GB 11643-1999)
# ---------------------------------------------------------------------------------------------

RESIDENT_ID_LENGTH: Final = 18

# ISO 7064 MOD 11-2: the weight of position i (counted from the right, check char = 1) is
# 2**(i-1) mod 11, and the check value c makes the weighted sum of all 18 positions ≡ 1 (mod 11),
# i.e. c = (12 - S mod 11) mod 11 where S is the sum over the first 17 digits.
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Indexed by S mod 11.  c can be 10 (when S mod 11 == 2) but there is only one character to
# hold it, so the standard writes 10 as the Roman numeral X.
_ID_CHECK_CHARS: Final = "10X98765432"
_ID_FORMAT_RE: Final = re.compile(r"[0-9]{17}[0-9X]")

# 1800 rather than 1900: the standard's own example, 440524188001010014, was born in 1880.
EARLIEST_BIRTH_DATE: Final = date(1800, 1, 1)


def normalize_resident_id(value: str) -> str:
    """Return ``value`` without whitespace, full-width characters folded, ``x`` as ``X``."""
    return _compact(value).upper()


def validate_resident_id(value: str) -> None:
    """Validate an 18-character resident ID number (居民身份证号码, GB 11643-1999).

    Checks, in this order: length, characters, province code, birth date, check character.
    The check character comes last so that a typo in the birth date or region is reported as
    that specific problem rather than as a generic checksum error.
    """
    number = normalize_resident_id(value)
    if len(number) != RESIDENT_ID_LENGTH:
        raise ValidationError(
            _("身份证号码应为18位，当前为%(length)d位"),
            code="id_length",
            params={"length": len(number)},
        )
    if not _ID_FORMAT_RE.fullmatch(number):
        raise ValidationError(
            _("身份证号码格式错误：前17位应为数字，最后一位应为数字或字母X"),
            code="id_format",
        )
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _("身份证号码前两位不是有效的省级行政区代码"),
            code="id_region",
        )
    # A county-level suffix of "00" is not rejected: residence permits for Hong Kong, Macao and
    # Taiwan residents carry 810000, 820000 and 830000.

    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("身份证号码中的出生日期（第7至14位）不是有效日期"),
            code="id_birthdate",
        ) from None
    if birth > _today():
        raise ValidationError(
            _("身份证号码中的出生日期晚于今天"),
            code="id_birthdate",
        )
    if birth < EARLIEST_BIRTH_DATE:
        raise ValidationError(
            _("身份证号码中的出生日期早于1800年1月1日"),
            code="id_birthdate",
        )

    total = sum(int(digit) * weight for digit, weight in zip(number, _ID_WEIGHTS, strict=False))
    if number[17] != _ID_CHECK_CHARS[total % 11]:
        raise ValidationError(
            _("身份证号码校验位错误，请核对后重新输入"),
            code="id_checksum",
        )


def mask_resident_id(value: str | None) -> str:
    """Mask a resident ID number for display or logs, keeping the first 6 and last 4 chars.

    ``"110105194912310021"`` gives ``"110105********0021"``.  The region (first 6) and the tail
    are what staff use to tell records apart; the birth date is hidden.  Values shorter than an
    old 15-digit ID are masked with ``_mask_fallback`` (at most the last 2 chars kept).
    """
    if not value:
        return ""
    number = normalize_resident_id(str(value))
    if len(number) < 15:
        return _mask_fallback(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


# ---------------------------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015)
# ---------------------------------------------------------------------------------------------

CREDIT_CODE_LENGTH: Final = 18
# 31 characters: digits plus capitals except I, O, Z, S, V, which are too easily confused with
# 1, 0, 2, 5 and U.  A prime alphabet size is what lets the MOD 31 check catch every single
# substitution and adjacent transposition.
CREDIT_CODE_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# 3**(i-1) mod 31 for positions 1..17.
_CREDIT_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_INDEX: Final = {char: index for index, char in enumerate(CREDIT_CODE_CHARSET)}


def normalize_credit_code(value: str) -> str:
    """Return ``value`` without whitespace, full-width characters folded, in upper case."""
    return _compact(value).upper()


def validate_credit_code(value: str) -> None:
    """Validate a unified social credit code (统一社会信用代码, GB 32100-2015).

    Only the GB 32100 check character is verified.  The organisation code inside it
    (positions 9-17, GB 11714) has its own check character, which is deliberately not checked.
    Positions 1 and 2 are only checked against the charset: the list of registration
    authorities and institution types has grown since 2015.
    """
    code = normalize_credit_code(value)
    if len(code) != CREDIT_CODE_LENGTH:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(length)d位"),
            code="credit_length",
            params={"length": len(code)},
        )
    invalid = "".join(dict.fromkeys(char for char in code if char not in _CREDIT_INDEX))
    if invalid:
        raise ValidationError(
            _(
                "统一社会信用代码含有非法字符“%(chars)s”，"
                "只能包含数字和除I、O、Z、S、V以外的大写英文字母"
            ),
            code="credit_charset",
            params={"chars": invalid},
        )
    # Positions 3-8 are the registering authority's division code; it may legitimately be a
    # national-level code such as 100000, so only its digits are checked, not the province.
    if not code[2:8].isdigit():
        raise ValidationError(
            _("统一社会信用代码第3至8位（登记管理机关行政区划码）应为数字"),
            code="credit_division",
        )

    total = sum(
        _CREDIT_INDEX[char] * weight for char, weight in zip(code, _CREDIT_WEIGHTS, strict=False)
    )
    # 31 - remainder is in 1..31; a remainder of 0 would give 31, outside the alphabet, so the
    # standard maps it to 0.
    check_value = (31 - total % 31) % 31
    if code[17] != CREDIT_CODE_CHARSET[check_value]:
        raise ValidationError(
            _("统一社会信用代码校验位错误，请核对后重新输入"),
            code="credit_checksum",
        )


# ---------------------------------------------------------------------------------------------
# Administrative division code (GB/T 2260), county level
# ---------------------------------------------------------------------------------------------

_DIVISION_RE: Final = re.compile(r"[0-9]{6}")


def validate_division_code(value: str) -> None:
    """Validate a 6-digit county-level administrative division code (县级行政区划代码).

    Positions 1-2 are the province, 3-4 the prefecture, 5-6 the county.  A code ending in
    ``00`` designates a prefecture or province, not a county, and is rejected.
    """
    code = _compact(value)
    if not _DIVISION_RE.fullmatch(code):
        raise ValidationError(
            _("行政区划代码应为6位数字"),
            code="division_format",
        )
    if code[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _("行政区划代码前两位不是有效的省级行政区代码"),
            code="division_region",
        )
    if code[4:] == "00":
        raise ValidationError(
            _("请填写县级行政区划代码，末两位不能为00"),
            code="division_county",
        )


# ---------------------------------------------------------------------------------------------
# Telephone numbers
# ---------------------------------------------------------------------------------------------

MOBILE_LENGTH: Final = 11
_DIGITS_RE: Final = re.compile(r"[0-9]*")
# Second digit 3-9: 10x-12x are not allocated to mobile networks (12x are service numbers).
_MOBILE_RE: Final = re.compile(r"1[3-9][0-9]{9}")
# Area codes: 010 (Beijing) and 020-029 are the only 3-digit ones; all others are 4 digits
# 03xx-09xx.  Encoding that makes "05718888666" unambiguous even without a separator.  Local
# numbers cannot start with 0 (trunk prefix) or 1 (special services such as 110, 12345).
_LANDLINE_RE: Final = re.compile(
    r"(?P<area>010|02[0-9]|0[3-9][0-9]{2})"
    r"[ \-]?"
    r"(?P<local>[2-9][0-9]{6,7})"
    r"(?:(?: ?转 ?|-)(?P<ext>[0-9]{1,6}))?"
)


class _Phone(NamedTuple):
    kind: Literal["mobile", "landline"]
    area: str
    local: str
    ext: str

    @property
    def canonical(self) -> str:
        if self.kind == "mobile":
            return self.local
        suffix = f"转{self.ext}" if self.ext else ""
        return f"{self.area}-{self.local}{suffix}"


def _strip_country_code(compact: str) -> str:
    """Remove a leading ``+86`` or ``86`` from a separator-free mobile number."""
    if compact.startswith("+86"):
        return compact[3:]
    # Without "+", "86" is only a prefix when exactly 11 digits follow; a landline always
    # starts with 0 and a mobile with 1, so nothing valid starts with 86 otherwise.
    if compact.startswith("86") and len(compact) == 2 + MOBILE_LENGTH:
        return compact[2:]
    return compact


def _parse_phone(value: str) -> _Phone | None:
    text = _nfkc(value).strip()
    mobile = _strip_country_code(_PHONE_SEPARATORS_RE.sub("", text))
    if _MOBILE_RE.fullmatch(mobile):
        return _Phone("mobile", "", mobile, "")
    match = _LANDLINE_RE.fullmatch(text)
    if match:
        return _Phone("landline", match["area"], match["local"], match["ext"] or "")
    return None


def normalize_phone(value: str) -> str:
    """Return the canonical form of a mobile or landline number.

    Mobiles become 11 digits (country code, spaces and hyphens removed):
    ``"+86 138-1234-5678"`` gives ``"13812345678"``.  Landlines become ``区号-号码`` with an
    optional ``转分机``: ``"0571 8888666"`` gives ``"0571-8888666"``, ``"021-61234567-801"`` gives
    ``"021-61234567转801"``.  Anything else is returned NFKC-folded and stripped, unchanged
    otherwise, so that validation reports what the user typed.
    """
    parsed = _parse_phone(value)
    if parsed is None:
        return _nfkc(value).strip()
    return parsed.canonical


def validate_mobile(value: str) -> None:
    """Validate a mainland mobile number; ``+86``/``86``, spaces and hyphens are allowed."""
    number = _strip_country_code(_PHONE_SEPARATORS_RE.sub("", _nfkc(value)))
    if not _DIGITS_RE.fullmatch(number):
        raise ValidationError(
            _("手机号码只能包含数字（可带+86前缀）"),
            code="mobile_format",
        )
    if len(number) != MOBILE_LENGTH:
        raise ValidationError(
            _("手机号码应为11位数字，当前为%(length)d位"),
            code="mobile_length",
            params={"length": len(number)},
        )
    if not _MOBILE_RE.fullmatch(number):
        raise ValidationError(
            _("手机号码号段无效，应以13至19开头"),
            code="mobile_prefix",
        )


def validate_phone(value: str) -> None:
    """Validate a mobile number or a landline number with area code.

    Landline: area code (010, 02x or a 4-digit 0xxx), optional ``-`` or space, a 7-8 digit
    local number not starting with 0 or 1, optionally ``转123`` or ``-123`` (up to 6 digits).
    Service numbers such as 12345 are not accepted.
    """
    if _parse_phone(value) is None:
        raise ValidationError(
            _("请输入有效的手机号码或带区号的固定电话号码，如13812345678或010-62345678"),
            code="phone_invalid",
        )


def mask_phone(value: str | None) -> str:
    """Mask a phone number for display or logs.

    Mobile: first 3 and last 4 digits kept, ``"138****5678"``.  Landline: area code and the last
    2 digits of the local number kept, extension hidden, ``"021-******67转***"``.  Anything else
    keeps at most its last 2 characters.
    """
    if not value:
        return ""
    text = str(value)
    parsed = _parse_phone(text)
    if parsed is None:
        return _mask_fallback(_PHONE_SEPARATORS_RE.sub("", _nfkc(text)))
    if parsed.kind == "mobile":
        return parsed.local[:3] + "****" + parsed.local[-4:]
    masked = f"{parsed.area}-{'*' * (len(parsed.local) - 2)}{parsed.local[-2:]}"
    if parsed.ext:
        masked += "转" + "*" * len(parsed.ext)
    return masked


# ---------------------------------------------------------------------------------------------
# Bank accounts
# ---------------------------------------------------------------------------------------------


def mask_bank_account(value: str | None) -> str:
    """Mask a bank card or account number, keeping only the last 4 characters.

    Output is ungrouped and keeps the original length, ``"************1234"`` for a 16-digit
    card, so that masked values compare and grep the same way in logs whatever the input
    grouping was.  Spaces and hyphens are removed first.  Values shorter than 8 characters are
    too short to be an account number and keep at most their last 2 characters.
    """
    if not value:
        return ""
    number = _PHONE_SEPARATORS_RE.sub("", _nfkc(str(value)))
    if len(number) < 8:
        return _mask_fallback(number)
    return "*" * (len(number) - 4) + number[-4:]
