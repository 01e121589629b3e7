from sparkle.accounts.errors import UserNotFound
from sparkle.core.errors import Forbidden, ValidationFailed


class SelfFollow(ValidationFailed):
    code, title = "self_follow", "You cannot follow yourself"

    def __init__(self) -> None:
        super().__init__(fields={"user_id": "You cannot follow yourself"})


class FollowsHidden(Forbidden):
    code, title = "profile_private", "This profile is private"


class FollowBlocked(Forbidden):
    code, title = "blocked", "You cannot follow this user"


class BlockTargetNotFound(UserNotFound):
    # The title is the one `PUT /api/blocks/{id}` has always answered with.
    title = "Conversation not found"
