"""Every domain's JSON router, one line each."""

from fastapi import APIRouter

from sparkle.accounts.router import router as accounts_router
from sparkle.admin.jobs_router import router as admin_jobs_router
from sparkle.admin.router import router as admin_router
from sparkle.auth.router import router as auth_router
from sparkle.comments.router import router as comments_router
from sparkle.email.router import router as email_router
from sparkle.feed.router import router as feed_router
from sparkle.leaderboards.router import router as leaderboards_router
from sparkle.media.router import router as media_router
from sparkle.messaging.router import router as messaging_router
from sparkle.notifications.router import router as notifications_router
from sparkle.posts.router import router as posts_router
from sparkle.reactions.router import router as reactions_router
from sparkle.realtime.router import router as realtime_router
from sparkle.search.router import router as search_router
from sparkle.social.router import blocks_router
from sparkle.social.router import router as social_router
from sparkle.watchparties.router import router as watchparties_router

router = APIRouter()
router.include_router(auth_router)
router.include_router(accounts_router)
router.include_router(admin_router)
router.include_router(admin_jobs_router)
router.include_router(posts_router)
router.include_router(social_router)
router.include_router(comments_router)
router.include_router(reactions_router)
router.include_router(search_router)
router.include_router(feed_router)
router.include_router(email_router)
router.include_router(media_router)
router.include_router(realtime_router)
router.include_router(notifications_router)
router.include_router(messaging_router)
router.include_router(blocks_router)
router.include_router(watchparties_router)
router.include_router(leaderboards_router)
