"""Every domain's JSON router, one line each."""

from fastapi import APIRouter

from sparkle.accounts.router import router as accounts_router
from sparkle.admin.router import router as admin_router
from sparkle.auth.router import router as auth_router

router = APIRouter()
router.include_router(auth_router)
router.include_router(accounts_router)
router.include_router(admin_router)
