"""Comment errors (rendered as problem documents)."""

from sparkle.core.errors import Conflict, Forbidden, NotFound


class CommentNotFound(NotFound):
    code, title = "comment_not_found", "Comment not found"


class CommentForbidden(Forbidden):
    code, title = "comment_forbidden", "You may not change this comment"


class CommentIsDeleted(Conflict):
    code, title = "comment_deleted", "This comment was deleted"
