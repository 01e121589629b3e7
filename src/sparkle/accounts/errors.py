from sparkle.core.errors import Conflict, Forbidden, NotFound


class UserNotFound(NotFound):
    code, title = "user_not_found", "User not found"


class ProfileForbidden(Forbidden):
    code, title = "profile_forbidden", "You may not edit this profile"


class UserExists(Conflict):
    code, title = "user_exists", "User already exists"
