from sparkle.core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed


class InvalidCredentials(Unauthorized):
    code, title = "invalid_credentials", "Invalid credentials"


class InvalidToken(Unauthorized):
    code, title = "invalid_token", "Invalid token"


class InvalidRefreshToken(Unauthorized):
    code, title = "invalid_refresh_token", "Invalid refresh token"


class TwoFactorRequired(Unauthorized):
    code, title = "two_factor_required", "Two-factor authentication code required"


class InvalidTwoFactorCode(Unauthorized):
    code, title = "invalid_two_factor_code", "Invalid two-factor code"


class EmailNotVerified(Forbidden):
    code, title = "email_not_verified", "Please verify your email before logging in"


class AccountSuspended(Forbidden):
    code, title = "account_suspended", "Account suspended"


class AdminRequired(Forbidden):
    code, title = "admin_required", "Administrator role required"


class TwoFactorSetupRequired(Forbidden):
    code, title = (
        "two_factor_setup_required",
        "Administrators must enable two-factor authentication",
    )


class CsrfFailed(Forbidden):
    code, title = "csrf_failed", "Missing or invalid CSRF token"


class ModeratorRequired(Forbidden):
    code, title = "moderator_required", "Moderator role required"


class InvalidLink(ValidationFailed):
    """A verification or password-reset link that is unknown, expired or already used (the
    bearer token of a request is `InvalidToken`, a 401)."""

    code, title = "invalid_link", "Invalid or expired link"


class SessionNotFound(NotFound):
    code, title = "session_not_found", "Session not found"


class TwoFactorAlreadyEnabled(Conflict):
    code, title = "two_factor_enabled", "Two-factor authentication is already enabled"


class TwoFactorNotStarted(ValidationFailed):
    code, title = "two_factor_not_started", "Start two-factor setup first"


class TwoFactorNotEnabled(ValidationFailed):
    code, title = "two_factor_disabled", "Two-factor authentication is not enabled"
