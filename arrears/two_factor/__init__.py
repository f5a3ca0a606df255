"""Two-factor sign-in (等保 level 3, 身份鉴别): a one-time code after the password, from an
authenticator app (TOTP), an SMS, or a one-time recovery code; built on django-otp."""
