from sparkle.core.errors import Forbidden, NotFound


class PostNotFound(NotFound):
    code, title = "post_not_found", "Post not found"


class PostForbidden(Forbidden):
    code, title = "post_forbidden", "You may not change this post"
