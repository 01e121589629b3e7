"""Authentication schemas: credentials in, tokens and sessions out."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import lru_cache
from importlib.resources import files
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, EmailStr, Field

from sparkle.accounts.schemas import Username, UserRead
from sparkle.core.schemas import InputSchema, Schema


@lru_cache
def common_passwords() -> frozenset[str]:
    text = files("sparkle.auth").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_password(value: str) -> str:
    if not 8 <= len(value) <= 128:
        raise ValueError("Password must be 8 to 128 characters")
    if value.lower() in common_passwords():
        raise ValueError("This password is too common; choose another")
    return value


NewPassword = Annotated[str, AfterValidator(check_password)]


def normalize_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local}@{domain.lower()}"


Email = Annotated[EmailStr, AfterValidator(normalize_email)]


class RegisterRequest(InputSchema):
    email: Email = Field(max_length=255)
    username: Username
    password: NewPassword

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "email": "luna@example.com",
                "username": "luna_sparkle",
                "password": "glitter-and-gold-42",
            }
        }
    )


class LoginRequest(InputSchema):
    email: str = Field(max_length=255)
    password: str = Field(max_length=128)

    model_config = ConfigDict(
        json_schema_extra={
            "example": {"email": "luna@example.com", "password": "glitter-and-gold-42"}
        }
    )


class TwoFactorLoginRequest(InputSchema):
    challenge_token: str = Field(max_length=2048)
    code: str = Field(min_length=6, max_length=32)


class Tokens(Schema):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class AuthResponse(Schema):
    user: UserRead
    tokens: Tokens


class TwoFactorChallenge(Schema):
    """Returned (401, code `two_factor_required`) when the password was right but a code is due."""

    challenge_token: str


class RefreshRequest(InputSchema):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutRequest(InputSchema):
    refresh_token: str | None = Field(None, max_length=512)


class TokenRequest(InputSchema):
    token: str = Field(min_length=1, max_length=512)


class EmailRequest(InputSchema):
    email: str = Field(max_length=255)


class ResetPasswordRequest(InputSchema):
    token: str = Field(min_length=1, max_length=512)
    password: NewPassword


class ChangePasswordRequest(InputSchema):
    current_password: str = Field(max_length=128)
    new_password: NewPassword


class SessionRead(Schema):
    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    ip_address: str | None
    user_agent: str | None
    device: str
    current: bool


class TwoFactorSetup(Schema):
    secret: str
    otpauth_uri: str
    qr_svg: str


class TwoFactorSetupRequest(InputSchema):
    password: str = Field(max_length=128)


class TwoFactorCode(InputSchema):
    code: str = Field(min_length=6, max_length=32)


class TwoFactorDisable(InputSchema):
    password: str = Field(max_length=128)
    code: str = Field(min_length=6, max_length=32)


class RecoveryCodes(Schema):
    recovery_codes: list[str]
