"""Every domain's JSON router, one line each."""

from fastapi import APIRouter

from sparkle.accounts.router import router as accounts_router
from sparkle.admin.router import router as admin_router
from sparkle.auth.router import router as auth_router
from sparkle.comments.router import router as comments_router
from sparkle.feed.router import router as feed_router
from sparkle.posts.router import router as posts_router
from sparkle.reactions.router import router as reactions_router
from sparkle.search.router import router as search_router
from sparkle.social.router import router as social_router

router = APIRouter()
router.include_router(auth_router)
router.include_router(accounts_router)
router.include_router(admin_router)
router.include_router(posts_router)
router.include_router(social_router)
router.include_router(comments_router)
router.include_router(reactions_router)
router.include_router(search_router)
router.include_router(feed_router)
