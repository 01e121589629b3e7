"""`/media/...`: files of the local storage backend. Public files are served with their type,
a year-long immutable cache (keys never change content: each holds a new file id) and
`nosniff`; private files (`/media/private/...`) only through a valid signed URL. A path that
is not a plain key (dot segments in any encoding, backslashes, NUL) is a 404 before anything
else. Signed local upload URLs (`PUT /media/upload/...`) make the direct-upload flow the same as
with S3."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse

from sparkle.core.deps import RuntimeDep
from sparkle.core.errors import NotFound
from sparkle.media import policy, storage
from sparkle.media.errors import InvalidSignature, InvalidUpload
from sparkle.media.receiving import receive_body
from sparkle.media.storage import PUBLIC_CACHE, LocalStorage, content_type_of

router = APIRouter(include_in_schema=False)
MEDIA_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _local() -> LocalStorage:
    store = storage.get()
    if not isinstance(store, LocalStorage):
        raise NotFound("Media are served by the CDN")
    return store


@router.get("/media/{key:path}")
async def serve(
    key: str,
    exp: Annotated[str | None, Query()] = None,
    sig: Annotated[str | None, Query()] = None,
) -> Response:
    store = _local()
    # Resolve first, then decide on the key of the file actually reached: the path parameter
    # arrives percent-decoded, so `post/%2e%2e/private/...` must never be judged as `post/`.
    # `store.path` refuses anything but a plain key (dot segments, backslashes, NUL, `%`).
    try:
        path = store.path(key)
    except FileNotFoundError:
        raise NotFound() from None
    key = path.relative_to(store.root).as_posix()
    if key.startswith("incoming/"):
        raise NotFound()
    private = key.startswith("private/")
    if private and not store.check_get(key, exp, sig):
        raise NotFound()
    if not path.is_file():
        raise NotFound()
    mime = content_type_of(key)
    inline = mime in policy.INLINE_TYPES
    headers = {
        "Cache-Control": (
            f"private, max-age={max(int(exp or 0) - int(time.time()), 0)}"
            if private
            else PUBLIC_CACHE
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": MEDIA_CSP,
        "Cross-Origin-Resource-Policy": "same-site",
    }
    disposition = "inline" if inline else "attachment"
    return FileResponse(
        path,
        media_type=mime,
        headers=headers,
        content_disposition_type=disposition,
        filename=None if inline else path.name,
    )


@router.put("/media/upload/{key:path}", status_code=200)
async def signed_upload(
    key: str,
    request: Request,
    rt: RuntimeDep,
    type: Annotated[str, Query()],
    size: Annotated[str, Query()],
    exp: Annotated[str, Query()],
    sig: Annotated[str, Query()],
) -> Response:
    """The local counterpart of a presigned S3 PUT: the signature binds key, content type,
    size and expiry."""
    store = _local()
    valid = storage.valid_key(key) and key.startswith("incoming/")
    if not valid or not store.check_put(key, type, size, exp, sig):
        raise InvalidSignature()
    sent_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if sent_type != type:
        raise InvalidSignature("The Content-Type differs from the one the URL was signed for")
    declared = request.headers.get("content-length")
    if declared is not None and declared != size:
        raise InvalidSignature("The Content-Length differs from the size the URL was signed for")
    path, received = await receive_body(request.stream(), rt.settings, int(size))
    try:
        if received != int(size):
            raise InvalidUpload(
                f"Received {received} bytes, not {size}", fields={"file": "Incomplete"}
            )
        await store.put_file(key, path, type)
    finally:
        path.unlink(missing_ok=True)
    return Response(status_code=200)
