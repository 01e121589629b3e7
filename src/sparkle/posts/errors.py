from sparkle.core.errors import Conflict, Forbidden, NotFound


class PostNotFound(NotFound):
    code, title = "post_not_found", "Post not found"


class PostForbidden(Forbidden):
    code, title = "post_forbidden", "You may not change this post"


class PostRemoved(PostForbidden):
    code, title = "post_removed", "A moderator removed this post"


class PostNotPublished(Conflict):
    code, title = "post_not_published", "The post is not published"


class CategoryExists(Conflict):
    code, title = "category_exists", "A category with this name exists"
