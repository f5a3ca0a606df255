"""Tests for arrears.identifiers: validation and masking of Chinese identifiers.

Valid examples are real, independently known values whose check characters were verified by
hand below, not values produced by the code under test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from arrears.identifiers import (
    mask_bank_account,
    mask_phone,
    mask_resident_id,
    normalize_credit_code,
    normalize_phone,
    normalize_resident_id,
    validate_credit_code,
    validate_division_code,
    validate_mobile,
    validate_phone,
    validate_resident_id,
)

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

CJK = re.compile(r"[\u4e00-\u9fff]")

# ---------------------------------------------------------------------------------------------
# Verified examples
# ---------------------------------------------------------------------------------------------

# GB 11643-1999's own example.  Digits 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 times weights
# 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2:
#   7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167;  167 mod 11 = 2  ->  "10X98765432"[2] = "X"
GB11643_EXAMPLE = "11010519491231002X"
# Also from GB 11643-1999 (born 1880, hence the validator's 1800 lower bound).
#   4 4 0 5 2 4 1 8 8 0 0 1 0 1 0 0 1:
#   28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195;  195 mod 11 = 8  ->  "10X98765432"[8] = "4"
GB11643_EXAMPLE_1880 = "440524188001010014"

# Unified social credit codes of well-known companies, from their public business licences.
# Charset index: digits = themselves, A10 B11 C12 D13 E14 F15 G16 H17 J18 K19 L20 M21 N22 P23
# Q24 R25 T26 U27 W28 X29 Y30.  Weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28.
#
# Shenzhen Tencent Computer Systems Co., Ltd. (深圳市腾讯计算机系统有限公司):
#   9 1 4 4 0 3 0 0 7 1 5 2 6 7 2 6 X(29)
#   9+3+36+108+0+78+0+0+140+29+125+26+48+168+20+180+812 = 1782
#   1782 mod 31 = 15;  31-15 = 16  ->  "G"
TENCENT = "9144030071526726XG"
# Alibaba (China) Co., Ltd. (阿里巴巴（中国）有限公司):
#   9 1 3 3 0 1 0 0 7 9 9 6 5 5 0 5 8
#   9+3+27+81+0+26+0+0+140+261+225+78+40+120+0+150+224 = 1384
#   1384 mod 31 = 20;  31-20 = 11  ->  "B"
ALIBABA = "91330100799655058B"
# Huawei Technologies Co., Ltd. (华为技术有限公司):
#   9 1 4 4 0 3 0 0 1 9 2 2 0 3 8 2 1
#   9+3+36+108+0+78+0+0+20+261+50+26+0+72+80+60+28 = 831
#   831 mod 31 = 25;  31-25 = 6  ->  "6"
HUAWEI = "914403001922038216"
# Synthetic (not a real company): Huawei's code with position 17 changed from 1 to Y, chosen
# so that the weighted sum is a multiple of 31 and the "31 maps to 0" rule is exercised:
#   831 - 1*28 + 30*28 = 1643 = 53*31;  remainder 0  ->  31  ->  0  ->  "0"
CREDIT_CHECK_ZERO = "9144030019220382Y0"


def _with_id_check(body: str) -> str:
    """Append an ISO 7064 MOD 11-2 check char to 17 digits.

    A separate derivation from the module's (weights as powers of two, check value from the
    "total ≡ 1 mod 11" rule), used only to build IDs that are wrong in some *other* way so the
    test reaches the intended check.
    """
    assert len(body) == 17
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body))
    check = (12 - total % 11) % 11
    return body + ("X" if check == 10 else str(check))


def test_test_helper_agrees_with_standard_examples() -> None:
    assert _with_id_check(GB11643_EXAMPLE[:17]) == GB11643_EXAMPLE
    assert _with_id_check(GB11643_EXAMPLE_1880[:17]) == GB11643_EXAMPLE_1880


def _error(validator: Callable[[str], None], value: str) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        validator(value)
    return excinfo.value


# ---------------------------------------------------------------------------------------------
# Resident ID
# ---------------------------------------------------------------------------------------------

FUTURE = date.today() + timedelta(days=30)


@pytest.mark.parametrize(
    "value",
    [
        GB11643_EXAMPLE,
        GB11643_EXAMPLE_1880,
        "11010519491231002x",  # lowercase x is accepted as X
        " 110105 19491231 002X ",  # whitespace is ignored
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width input from a Chinese IME
        _with_id_check("11010520000229001"),  # 2000 is a leap year
        _with_id_check("81000019800101001"),  # Hong Kong resident's residence permit prefix
    ],
)
def test_resident_id_valid(value: str) -> None:
    validate_resident_id(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "id_length"),
        ("11010519491231002", "id_length"),  # 17 chars
        ("110105491231002", "id_length"),  # old 15-digit form is not accepted
        ("11010519491231002XX", "id_length"),
        ("1101051949123100AX", "id_format"),
        ("11010519491231002Y", "id_format"),
        ("X1010519491231002X", "id_format"),
        ("1101051949123100X2", "id_format"),  # X only allowed as the check char
        (_with_id_check("00010519491231002"), "id_region"),
        (_with_id_check("20010519491231002"), "id_region"),
        (_with_id_check("99010519491231002"), "id_region"),
        (_with_id_check("11010519990230002"), "id_birthdate"),  # 30 February
        (_with_id_check("11010519000229002"), "id_birthdate"),  # 1900 is not a leap year
        (_with_id_check("11010519491301002"), "id_birthdate"),  # month 13
        (_with_id_check("11010519490100002"), "id_birthdate"),  # day 0
        (_with_id_check("11010517991231002"), "id_birthdate"),  # before 1800-01-01
        (_with_id_check(f"110105{FUTURE:%Y%m%d}002"), "id_birthdate"),
        ("110105194912310021", "id_checksum"),  # X replaced by 1
        ("11010519491231012X", "id_checksum"),  # one body digit changed
        ("440524188001010015", "id_checksum"),
        ("440524188001010041", "id_checksum"),  # last two digits transposed
    ],
)
def test_resident_id_invalid(value: str, code: str) -> None:
    assert _error(validate_resident_id, value).code == code


def test_resident_id_lower_bound_is_inclusive() -> None:
    validate_resident_id(_with_id_check("11010518000101002"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11010519491231002x", "11010519491231002X"),
        ("  110105 1949 1231 002X\t", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("", ""),
    ],
)
def test_normalize_resident_id(value: str, expected: str) -> None:
    assert normalize_resident_id(value) == expected


# ---------------------------------------------------------------------------------------------
# Unified social credit code
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        TENCENT,
        ALIBABA,
        HUAWEI,
        CREDIT_CHECK_ZERO,
        "9144030071526726xg",  # lowercase is accepted
        " 9144 0300 7152 6726 XG ",
    ],
)
def test_credit_code_valid(value: str) -> None:
    validate_credit_code(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "credit_length"),
        ("9144030071526726X", "credit_length"),
        ("9144030071526726XGG", "credit_length"),
        ("914403007152672OXG", "credit_charset"),  # O
        ("91440300715267I6XG", "credit_charset"),  # I
        ("9144030071526726XZ", "credit_charset"),  # Z
        ("S144030071526726XG", "credit_charset"),  # S
        ("9144030071526726XV", "credit_charset"),  # V
        ("9144030071526726X-", "credit_charset"),
        ("91A4030071526726XG", "credit_division"),
        ("914403007152672YXG", "credit_checksum"),
        ("914403001922038217", "credit_checksum"),  # Huawei, check char changed
        ("914403001922038226", "credit_checksum"),  # Huawei, one body digit changed
        ("91330100799655085B", "credit_checksum"),  # Alibaba, two digits transposed
        ("9144030019220382YY", "credit_checksum"),
    ],
)
def test_credit_code_invalid(value: str, code: str) -> None:
    assert _error(validate_credit_code, value).code == code


def test_credit_code_charset_message_names_the_bad_characters() -> None:
    with translation.override("zh-hans"):
        message = _error(validate_credit_code, "91440300715267IOXG").messages[0]
    assert "“IO”" in message


def test_normalize_credit_code() -> None:
    assert normalize_credit_code(" 9144030071526726xg ") == TENCENT
    assert normalize_credit_code("９１４４０３００７１５２６７２６ＸＧ") == TENCENT


# ---------------------------------------------------------------------------------------------
# Administrative division code
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["110105", "330106", "440305", "429004", " 650102 "])
def test_division_code_valid(value: str) -> None:
    validate_division_code(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "division_format"),
        ("11010", "division_format"),
        ("1101051", "division_format"),
        ("11010a", "division_format"),
        ("990105", "division_region"),
        ("000001", "division_region"),
        ("110100", "division_county"),  # prefecture level
        ("110000", "division_county"),  # province level
    ],
)
def test_division_code_invalid(value: str, code: str) -> None:
    assert _error(validate_division_code, value).code == code


# ---------------------------------------------------------------------------------------------
# Phone numbers
# ---------------------------------------------------------------------------------------------

MOBILES_OK = [
    "13812345678",
    "+86 138-1234-5678",
    "+8613812345678",
    "8613812345678",
    "138 1234 5678",
    "19912345678",
    "＋８６　１３８１２３４５６７８",
]


@pytest.mark.parametrize("value", MOBILES_OK)
def test_mobile_valid(value: str) -> None:
    validate_mobile(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("12812345678", "mobile_prefix"),
        ("10012345678", "mobile_prefix"),
        ("23812345678", "mobile_prefix"),
        ("1381234567", "mobile_length"),
        ("138123456789", "mobile_length"),
        ("", "mobile_length"),
        ("1381234567a", "mobile_format"),
        ("+852 6123 4567", "mobile_format"),
        ("010-62345678", "mobile_prefix"),  # a landline is not a mobile
    ],
)
def test_mobile_invalid(value: str, code: str) -> None:
    assert _error(validate_mobile, value).code == code


LANDLINES_OK = [
    "010-62345678",
    "0571 8888666",
    "021-61234567转801",
    "021-61234567-801",
    "021-61234567 转 801",
    "02161234567",
    "05718888666",
    "0755-8888666-123456",
]


@pytest.mark.parametrize("value", MOBILES_OK + LANDLINES_OK)
def test_phone_valid(value: str) -> None:
    validate_phone(value)


@pytest.mark.parametrize(
    "value",
    [
        "12345",  # service number
        "110",
        "",
        "abc",
        # Local numbers cannot start with 1 (service numbers) or 0 (trunk prefix).
        "010-12345678",
        "010-02345678",
        "010-623456",  # 6-digit local number
        "010-623456789",  # 9-digit local number
        "021-61234567转1234567",  # extension longer than 6 digits
        "021-61234567转",
        "0571--8888666",
        "01-62345678",  # area code too short
        "12812345678",
    ],
)
def test_phone_invalid(value: str) -> None:
    assert _error(validate_phone, value).code == "phone_invalid"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+86 138-1234-5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("0571 8888666", "0571-8888666"),
        ("05718888666", "0571-8888666"),
        ("021-61234567-801", "021-61234567转801"),
        ("021-61234567 转 801", "021-61234567转801"),
        (" 12345 ", "12345"),  # unrecognised: only stripped
    ],
)
def test_normalize_phone(value: str, expected: str) -> None:
    assert normalize_phone(value) == expected


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (validate_resident_id, "123"),
        (validate_resident_id, "1101051949123100AX"),
        (validate_resident_id, _with_id_check("99010519491231002")),
        (validate_resident_id, _with_id_check("11010519990230002")),
        (validate_resident_id, "110105194912310021"),
        (validate_credit_code, "123"),
        (validate_credit_code, "914403007152672OXG"),
        (validate_credit_code, "91A4030071526726XG"),
        (validate_credit_code, "914403001922038217"),
        (validate_division_code, "11010"),
        (validate_division_code, "990105"),
        (validate_division_code, "110100"),
        (validate_mobile, "12812345678"),
        (validate_mobile, "1381234567"),
        (validate_mobile, "1381234567a"),
        (validate_phone, "12345"),
    ],
)
def test_messages_are_chinese(validator: Callable[[str], None], value: str) -> None:
    with translation.override("zh-hans"):
        messages = _error(validator, value).messages
    assert len(messages) == 1
    assert CJK.search(messages[0])


def test_birthdate_problems_have_distinct_messages() -> None:
    values = [
        _with_id_check("11010519990230002"),
        _with_id_check(f"110105{FUTURE:%Y%m%d}002"),
        _with_id_check("11010517991231002"),
    ]
    with translation.override("zh-hans"):
        messages = {_error(validate_resident_id, value).messages[0] for value in values}
    assert len(messages) == 3


@pytest.mark.parametrize(
    ("validator", "value", "expected"),
    [
        (validate_resident_id, "110105194912310021", "身份证号码校验位错误，请核对后重新输入"),
        (validate_resident_id, "12345", "身份证号码应为18位，当前为5位"),
        (validate_credit_code, HUAWEI[:-1] + "7", "统一社会信用代码校验位错误，请核对后重新输入"),
        (validate_credit_code, "12345", "统一社会信用代码应为18位，当前为5位"),
    ],
)
def test_exact_messages(validator: Callable[[str], None], value: str, expected: str) -> None:
    with translation.override("zh-hans"):
        assert _error(validator, value).messages == [expected]


def test_usable_as_form_field_validators() -> None:
    field = forms.CharField(validators=[validate_resident_id])
    assert field.clean(GB11643_EXAMPLE) == GB11643_EXAMPLE
    with pytest.raises(ValidationError) as excinfo:
        field.clean("110105194912310021")
    assert excinfo.value.error_list[0].code == "id_checksum"


# ---------------------------------------------------------------------------------------------
# Masking
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("110105194912310021", "110105********0021"),
        ("11010519491231002x", "110105********002X"),
        (" 110105 19491231 002X ", "110105********002X"),
        ("110105491231002", "110105*****1002"),  # old 15-digit form
        ("11010519491231002XX", "110105*********02XX"),  # too long: still masked
        ("1101051949", "********49"),  # malformed: last 2 kept
        ("12345", "***45"),
        ("1234", "***4"),
        ("123", "**3"),
        ("12", "**"),
        ("1", "*"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_resident_id(value: str | None, expected: str) -> None:
    assert mask_resident_id(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("010-62345678", "010-******78"),
        ("0571 8888666", "0571-*****66"),
        ("021-61234567转801", "021-******67转***"),
        ("021-61234567-801", "021-******67转***"),
        ("12345", "***45"),
        ("010-1234", "*****34"),  # malformed: separators dropped, last 2 kept
        ("abc", "**c"),
        ("1", "*"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(value: str | None, expected: str) -> None:
    assert mask_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6222021234567891234", "***************1234"),
        ("6222 0212 3456 7891", "************7891"),
        ("6222-0212-3456-7891", "************7891"),
        ("12345678", "****5678"),
        ("1234567", "*****67"),  # too short for an account: last 2 kept
        ("123", "**3"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_bank_account(value: str | None, expected: str) -> None:
    assert mask_bank_account(value) == expected
