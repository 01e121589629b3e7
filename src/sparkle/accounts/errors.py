from sparkle.core.errors import Forbidden, NotFound


class UserNotFound(NotFound):
    code, title = "user_not_found", "User not found"


class ProfileForbidden(Forbidden):
    code, title = "profile_forbidden", "You may not edit this profile"
