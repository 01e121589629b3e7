"""Files attached to messages. A message stores what it shows of each file (name, type, size,
dimensions); its links point at `/api/messages/{id}/attachments/{fileId}`, which checks that the
caller takes part in the conversation and then redirects to the file, signed afresh when it is
private. So private files can be attached, and links in old messages never expire."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core.errors import ValidationFailed
from sparkle.media import service as media_service
from sparkle.media.errors import MediaNotFound
from sparkle.media.models import MediaFile
from sparkle.messaging.errors import AttachmentNotFound
from sparkle.messaging.schemas import AttachmentRead

# The variants a message shows; the full file is the attachment's own link.
SHOWN_VARIANTS = ("thumbnail",)


async def describe(
    session: AsyncSession, sender: User, ids: list[uuid.UUID]
) -> list[dict[str, Any]]:
    """The sender's own uploaded files, as the message will store them."""
    out = []
    for fid in dict.fromkeys(ids):
        try:
            media: MediaFile | None = await media_service.access(session, sender, fid)
        except MediaNotFound:
            media = None
        if media is None or media.user_id != sender.id:
            raise ValidationFailed(
                "Unknown attachment", fields={"attachmentIds": f"No file {fid} of yours"}
            )
        variants = ((media.meta or {}).get("variants") or {}).keys()
        out.append(
            {
                "id": str(media.id),
                "fileType": media.file_type,
                "mimeType": media.mime_type,
                "originalName": media.original_name,
                "fileSize": media.file_size,
                "blurhash": media.blurhash,
                "dimensions": media.dimensions,
                "variants": [v for v in SHOWN_VARIANTS if v in variants],
            }
        )
    return out


def to_read(message_id: uuid.UUID, stored: dict[str, Any]) -> AttachmentRead:
    """An attachment with links through the participant-checked route."""
    url = f"/api/messages/{message_id}/attachments/{stored['id']}"
    # Messages written before the route existed stored a thumbnail link instead of names.
    has_thumbnail = "thumbnail" in (stored.get("variants") or []) or bool(
        stored.get("thumbnailUrl")
    )
    return AttachmentRead(
        id=stored["id"],
        file_type=stored["fileType"],
        mime_type=stored["mimeType"],
        original_name=stored["originalName"],
        file_size=stored["fileSize"],
        url=url,
        thumbnail_url=f"{url}?variant=thumbnail" if has_thumbnail else None,
        blurhash=stored.get("blurhash"),
        dimensions=stored.get("dimensions"),
    )


async def locate(
    session: AsyncSession,
    viewer: User,
    message_id: uuid.UUID,
    file_id: uuid.UUID,
    variant: str | None,
) -> str:
    """Where `viewer` reads a message's attachment now; 404 unless they see the message, it
    still carries the file and the file (or variant) exists."""
    from sparkle.messaging import service

    message = await service.visible_message(session, viewer, message_id)
    stored = next((a for a in message.attachments or [] if a.get("id") == str(file_id)), None)
    if message.deleted_at is not None or stored is None:
        raise AttachmentNotFound()
    if variant is not None and variant not in SHOWN_VARIANTS:
        raise ValidationFailed("Unknown variant", fields={"variant": "Use thumbnail"})
    url = await media_service.url_for(session, file_id, variant)
    if url is None:
        raise AttachmentNotFound()
    return url
