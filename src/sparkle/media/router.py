"""`/api/uploads`: upload, read, list, delete, progress, and the presigned direct-upload flow."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from sparkle.auth.deps import CurrentUser
from sparkle.core.deps import DbSession, RuntimeDep
from sparkle.core.errors import (
    PayloadTooLarge,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from sparkle.media import policy, service, storage
from sparkle.media.errors import MediaNotFound, UnsupportedMediaType
from sparkle.media.receiving import from_parsed_form, receive_form
from sparkle.media.schemas import (
    PresignRead,
    PresignRequest,
    UploadPage,
    UploadProgress,
    UploadRead,
)

router = APIRouter(prefix="/api/uploads", tags=["media"])

UPLOAD_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "category"],
                    "properties": {
                        "category": {"type": "string", "enum": list(policy.CATEGORIES)},
                        "isPublic": {"type": "boolean", "default": True},
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}
ERRORS = (ValidationFailed, Unauthorized, PayloadTooLarge, UnsupportedMediaType, ServiceUnavailable)
SAME_FILE: dict[int | str, dict[str, Any]] = {
    200: {"model": UploadRead, "description": "The same file was uploaded before"}
}


def _truthy(value: str | None, default: bool = True) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


async def _answer(media_and_created: tuple[Any, bool], rt: RuntimeDep) -> JSONResponse:
    media, created = media_and_created
    body = await service.to_read(media, storage.get(), rt.settings)
    return JSONResponse(
        body.model_dump(mode="json", by_alias=True), status_code=201 if created else 200
    )


@router.post(
    "",
    response_model=UploadRead,
    status_code=201,
    summary="Upload a file",
    openapi_extra=UPLOAD_FORM,
    responses=SAME_FILE | problem_responses(*ERRORS),
)
async def upload(
    request: Request,
    user: CurrentUser,
    db: DbSession,
    rt: RuntimeDep,
    category: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> JSONResponse:
    """The type is sniffed from the bytes; a declared type, a file name or a category that
    disagrees with them is a 415. Images get variants (WebP, 150–1280 px) and a blurhash;
    videos are processed in the background (`status: processing`). Sending the same file
    again answers 200 with the existing record."""
    parsed = getattr(request, "_form", None)
    if parsed is not None:
        received, fields = await from_parsed_form(parsed, rt.settings)
    else:
        received, fields = await receive_form(
            request.stream(),
            request.headers.get("content-type", ""),
            rt.settings,
            category=category,
        )
    try:
        chosen = category or fields.get("category") or ""
        if chosen not in policy.CATEGORIES:
            raise ValidationFailed(
                "Unknown category", fields={"category": f"One of {', '.join(policy.CATEGORIES)}"}
            )
        is_public = _truthy(fields.get("isPublic", fields.get("is_public")))
        result = await service.upload(db, user, received, category=chosen, is_public=is_public)
    finally:
        received.path.unlink(missing_ok=True)
    return await _answer(result, rt)


@router.get(
    "",
    response_model=UploadPage,
    summary="My uploads",
    responses=problem_responses(ValidationFailed, Unauthorized),
)
async def list_uploads(
    user: CurrentUser,
    db: DbSession,
    cursor: Annotated[str | None, Query(description="`nextCursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> UploadPage:
    """The caller's files, newest first."""
    return await service.list_own(db, user, cursor=cursor, limit=limit)


@router.post(
    "/presign",
    response_model=PresignRead,
    status_code=201,
    summary="Prepare a direct upload",
    responses=problem_responses(*ERRORS),
)
async def presign(data: PresignRequest, user: CurrentUser, db: DbSession) -> PresignRead:
    """A URL valid for one hour to `PUT` the file to, with the given `Content-Type` and
    exactly `size` bytes; then call `POST /api/uploads/{fileId}/complete`."""
    return await service.presign(db, user, data)


@router.post(
    "/{file_id}/complete",
    response_model=UploadRead,
    status_code=201,
    summary="Finish a direct upload",
    responses=SAME_FILE | problem_responses(*ERRORS, MediaNotFound),
)
async def complete(
    file_id: uuid.UUID, user: CurrentUser, db: DbSession, rt: RuntimeDep
) -> JSONResponse:
    """Sniffs and validates the stored bytes exactly like `POST /api/uploads`, then processes
    them; an invalid file is deleted from storage."""
    return await _answer(await service.complete(db, user, file_id), rt)


@router.get(
    "/{file_id}/progress",
    response_model=UploadProgress,
    summary="Progress of an upload",
    responses=problem_responses(Unauthorized, MediaNotFound),
)
async def get_progress(file_id: uuid.UUID, user: CurrentUser, db: DbSession) -> UploadProgress:
    """`preparing`, `uploading`, `processing`, `completed` or `failed` (with `error`)."""
    return UploadProgress.model_validate(await service.get_progress(db, user, file_id))


@router.get(
    "/{file_id}",
    response_model=UploadRead,
    summary="An upload",
    responses=problem_responses(Unauthorized, MediaNotFound),
)
async def read(file_id: uuid.UUID, user: CurrentUser, db: DbSession) -> UploadRead:
    """For its owner or an admin."""
    return await service.read(db, user, file_id)


@router.delete(
    "/{file_id}",
    status_code=204,
    summary="Delete an upload",
    responses=problem_responses(Unauthorized, MediaNotFound),
)
async def delete(file_id: uuid.UUID, user: CurrentUser, db: DbSession) -> Response:
    """Owner or admin; removes the original and every variant from storage."""
    await service.delete(db, user, file_id)
    return Response(status_code=204)
