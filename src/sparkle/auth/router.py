"""`/api/auth`: registration, login, tokens, sessions, e-mail verification, passwords, 2FA."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from sparkle.accounts import service as accounts_service
from sparkle.accounts.schemas import UserRead
from sparkle.auth import errors, service
from sparkle.auth.deps import CurrentPrincipal, CurrentUser
from sparkle.auth.schemas import (
    AuthResponse,
    ChangePasswordRequest,
    EmailRequest,
    LoginRequest,
    RecoveryCodes,
    RefreshRequest,
    RegisterRequest,
    ResetPasswordRequest,
    SessionRead,
    TokenRequest,
    TwoFactorCode,
    TwoFactorDisable,
    TwoFactorLoginRequest,
    TwoFactorSetup,
    TwoFactorSetupRequest,
)
from sparkle.core.deps import Client, DbSession, RuntimeDep
from sparkle.core.errors import (
    Conflict,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from sparkle.core.schemas import Message

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthResponse,
    summary="Create an account",
    responses=problem_responses(ValidationFailed, Conflict, TooManyRequests),
)
async def register(
    data: RegisterRequest, db: DbSession, rt: RuntimeDep, client: Client
) -> AuthResponse:
    """Creates the user and profile, mails a verification link and opens a first session."""
    user, tokens = await service.register(db, rt, data, client)
    return AuthResponse(user=accounts_service.to_read(user), tokens=tokens)


@router.post(
    "/login",
    response_model=AuthResponse,
    summary="Sign in with email and password",
    responses=problem_responses(
        ValidationFailed, Unauthorized, errors.EmailNotVerified, TooManyRequests
    ),
)
async def login(data: LoginRequest, db: DbSession, rt: RuntimeDep, client: Client) -> AuthResponse:
    """Unknown email and wrong password give the same 401. With 2FA on, the 401 has code
    `two_factor_required` and a `challengeToken` for `/api/auth/login/2fa`."""
    user, tokens = await service.login(db, rt, data, client)
    return AuthResponse(user=accounts_service.to_read(user), tokens=tokens)


@router.post(
    "/login/2fa",
    response_model=AuthResponse,
    summary="Finish a sign-in with a TOTP or recovery code",
    responses=problem_responses(ValidationFailed, Unauthorized, TooManyRequests),
)
async def login_two_factor(
    data: TwoFactorLoginRequest, db: DbSession, rt: RuntimeDep, client: Client
) -> AuthResponse:
    user, tokens = await service.login_two_factor(db, rt, data.challenge_token, data.code, client)
    return AuthResponse(user=accounts_service.to_read(user), tokens=tokens)


@router.post(
    "/refresh",
    response_model=AuthResponse,
    summary="Rotate a refresh token",
    responses=problem_responses(ValidationFailed, Unauthorized),
)
async def refresh(
    data: RefreshRequest, db: DbSession, rt: RuntimeDep, client: Client
) -> AuthResponse:
    """Every refresh token is single use; presenting a used one revokes that whole session."""
    user, tokens = await service.refresh(db, rt, data.refresh_token, client)
    return AuthResponse(user=accounts_service.to_read(user), tokens=tokens)


@router.post(
    "/logout",
    status_code=204,
    summary="End this session",
    responses=problem_responses(Unauthorized),
)
async def logout(principal: CurrentPrincipal, db: DbSession) -> Response:
    await service.logout(db, principal)
    return Response(status_code=204)


@router.post(
    "/logout-all",
    status_code=204,
    summary="End every session",
    responses=problem_responses(Unauthorized),
)
async def logout_all(principal: CurrentPrincipal, db: DbSession) -> Response:
    await service.logout_all(db, principal)
    return Response(status_code=204)


@router.get(
    "/me",
    response_model=UserRead,
    summary="The signed-in user",
    responses=problem_responses(Unauthorized),
)
async def me(user: CurrentUser) -> UserRead:
    return accounts_service.to_read(user)


@router.get(
    "/sessions",
    response_model=list[SessionRead],
    summary="Active sessions",
    responses=problem_responses(Unauthorized),
)
async def sessions(principal: CurrentPrincipal, db: DbSession) -> list[SessionRead]:
    return await service.list_sessions(db, principal)


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    summary="Revoke one of my sessions",
    responses=problem_responses(Unauthorized, NotFound),
)
async def revoke_session(
    session_id: uuid.UUID, principal: CurrentPrincipal, db: DbSession
) -> Response:
    await service.revoke_session(db, principal, session_id)
    return Response(status_code=204)


@router.post(
    "/verify-email",
    response_model=UserRead,
    summary="Verify an email address with the mailed token",
    responses=problem_responses(ValidationFailed),
)
async def verify_email(data: TokenRequest, db: DbSession, rt: RuntimeDep) -> UserRead:
    return accounts_service.to_read(await service.verify_email(db, rt, data.token))


@router.post(
    "/resend-verification",
    status_code=202,
    response_model=Message,
    summary="Send the verification mail again",
    responses=problem_responses(ValidationFailed, TooManyRequests),
)
async def resend_verification(
    data: EmailRequest, db: DbSession, rt: RuntimeDep, client: Client
) -> Message:
    await service.resend_verification(db, rt, data.email, client)
    return Message(message="If that account exists and is unverified, a new link is on its way.")


@router.post(
    "/forgot-password",
    status_code=202,
    response_model=Message,
    summary="Mail a password reset link",
    responses=problem_responses(ValidationFailed, TooManyRequests),
)
async def forgot_password(data: EmailRequest, db: DbSession, rt: RuntimeDep) -> Message:
    await service.forgot_password(db, rt, data.email)
    return Message(message="If an account exists for that address, a reset link is on its way.")


@router.post(
    "/reset-password",
    response_model=Message,
    summary="Set a new password with a reset token",
    responses=problem_responses(ValidationFailed),
)
async def reset_password(data: ResetPasswordRequest, db: DbSession, rt: RuntimeDep) -> Message:
    await service.reset_password(db, rt, data.token, data.password)
    return Message(message="Password changed. Sign in with your new password.")


@router.post(
    "/change-password",
    response_model=Message,
    summary="Change my password",
    responses=problem_responses(ValidationFailed, Unauthorized),
)
async def change_password(
    data: ChangePasswordRequest, principal: CurrentPrincipal, db: DbSession, rt: RuntimeDep
) -> Message:
    """Other sessions are signed out; this one stays."""
    await service.change_password(db, rt, principal, data)
    return Message(message="Password changed.")


@router.post(
    "/2fa/setup",
    response_model=TwoFactorSetup,
    summary="Start TOTP enrolment",
    responses=problem_responses(ValidationFailed, Unauthorized, Conflict, TooManyRequests),
)
async def two_factor_setup(
    data: TwoFactorSetupRequest, user: CurrentUser, db: DbSession, rt: RuntimeDep
) -> TwoFactorSetup:
    """Needs the password; the returned secret is active only after `/2fa/confirm`."""
    return await service.setup_two_factor(db, rt, user, data.password)


@router.post(
    "/2fa/confirm",
    response_model=RecoveryCodes,
    summary="Confirm TOTP enrolment with a code",
    responses=problem_responses(ValidationFailed, Unauthorized, Conflict, TooManyRequests),
)
async def two_factor_confirm(
    data: TwoFactorCode, user: CurrentUser, db: DbSession, rt: RuntimeDep
) -> RecoveryCodes:
    """Returns ten single-use recovery codes; they are shown only this once."""
    return RecoveryCodes(recovery_codes=await service.confirm_two_factor(db, rt, user, data.code))


@router.post(
    "/2fa/recovery-codes",
    response_model=RecoveryCodes,
    summary="Replace my recovery codes",
    responses=problem_responses(ValidationFailed, Unauthorized, TooManyRequests),
)
async def two_factor_recovery_codes(
    data: TwoFactorCode, user: CurrentUser, db: DbSession, rt: RuntimeDep
) -> RecoveryCodes:
    return RecoveryCodes(
        recovery_codes=await service.regenerate_recovery_codes(db, rt, user, data.code)
    )


@router.post(
    "/2fa/disable",
    status_code=204,
    summary="Turn off two-factor authentication",
    responses=problem_responses(ValidationFailed, Unauthorized, TooManyRequests),
)
async def two_factor_disable(
    data: TwoFactorDisable, user: CurrentUser, db: DbSession, rt: RuntimeDep
) -> Response:
    await service.disable_two_factor(db, rt, user, data.password, data.code)
    return Response(status_code=204)
