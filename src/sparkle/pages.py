"""Every domain's page router, one line each."""

from fastapi import APIRouter

from sparkle.accounts.pages import router as accounts_pages
from sparkle.admin.jobs_pages import router as admin_jobs_pages
from sparkle.admin.pages import router as admin_pages
from sparkle.auth.pages import router as auth_pages
from sparkle.auth.security_pages import router as security_pages
from sparkle.email.pages import router as email_pages
from sparkle.leaderboards.pages import router as leaderboards_pages
from sparkle.media.files import router as media_files
from sparkle.messaging.pages import router as messaging_pages
from sparkle.notifications.pages import router as notifications_pages
from sparkle.posts.editor_pages import router as editor_pages
from sparkle.posts.pages import router as posts_pages
from sparkle.search.pages import router as search_pages
from sparkle.social.pages import router as social_pages
from sparkle.watchparties.pages import router as watchparties_pages

router = APIRouter(include_in_schema=False)
router.include_router(email_pages)
router.include_router(media_files)
router.include_router(auth_pages)
router.include_router(security_pages)
router.include_router(accounts_pages)
router.include_router(admin_pages)
router.include_router(admin_jobs_pages)
router.include_router(social_pages)
router.include_router(posts_pages)
router.include_router(editor_pages)
router.include_router(search_pages)
router.include_router(notifications_pages)
router.include_router(messaging_pages)
router.include_router(watchparties_pages)
router.include_router(leaderboards_pages)
