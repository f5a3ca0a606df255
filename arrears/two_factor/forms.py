"""Forms of the two-factor pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from arrears.identifiers import mask_phone, normalize_phone, validate_mobile
from arrears.two_factor.selectors import VerifyChoice

KIND_LABELS = {
    "totp": _("身份验证器应用"),
    "sms": _("短信验证码"),
    "static": _("恢复码"),
}


def choice_label(choice: VerifyChoice) -> str:
    if choice.kind == "sms":
        phone = mask_phone(getattr(choice.device, "phone", ""))
        return f"{KIND_LABELS['sms']}（{phone}）"
    return str(KIND_LABELS[choice.kind])


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "class": "form-control form-control-lg text-center",
            }
        ),
    )


class VerifyForm(CodeForm):
    device = forms.ChoiceField(label=_("验证方式"), widget=forms.RadioSelect)

    def __init__(self, choices: list[VerifyChoice], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        device = self.fields["device"]
        assert isinstance(device, forms.ChoiceField)
        device.choices = [(c.persistent_id, choice_label(c)) for c in choices]
        # A recovery code has letters: the numeric keyboard would hide them on a phone.
        self.fields["code"].widget.attrs["inputmode"] = "text"


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        validators=[validate_mobile],
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "class": "form-control"}
        ),
    )

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])
