from sparkle.core.errors import Forbidden, Unauthorized


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
