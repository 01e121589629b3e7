"""Every domain's page router, one line each."""

from fastapi import APIRouter

from sparkle.email.pages import router as email_pages

router = APIRouter(include_in_schema=False)
router.include_router(email_pages)
