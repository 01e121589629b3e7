"""Streaming receipt of upload bodies: a multipart form's file part, or a raw PUT body,
written to a temp file as it arrives — hashed on the way, and refused with 413 as soon as it
crosses the category's limit — so no upload is ever held in memory whole."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from sparkle.core.config import Settings
from sparkle.media import policy
from sparkle.media.errors import FileTooLarge, InvalidUpload
from sparkle.media.service import Received, new_temp

MAX_FIELD_BYTES = 4096


class _Sink:
    """The open temp file, its running hash and size."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh: BinaryIO = path.open("wb")
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.fh.write(data)
        self.hash.update(data)

    def close(self) -> None:
        self.fh.close()


async def receive_form(
    stream: AsyncIterator[bytes],
    content_type: str,
    settings: Settings,
    *,
    category: str | None = None,
) -> tuple[Received, dict[str, str]]:
    """Parse `multipart/form-data` from `stream`: the `file` part to a temp file, the small
    fields into a dict. The category may come as a query parameter or as a form field sent
    before the file (browsers send fields in the order they were appended)."""
    ctype, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise InvalidUpload("Send the file as multipart/form-data", fields={"file": "Required"})
    fields: dict[str, str] = {}
    state: dict[str, object] = {"name": None, "filename": None, "ctype": None, "headers": {}}
    header_name = bytearray()
    header_value = bytearray()
    field_data = bytearray()
    pending: list[bytes] = []
    sink: _Sink | None = None
    received: dict[str, object] = {}

    def limit() -> int:
        cat = category or fields.get("category")
        return (
            policy.max_bytes(settings, cat)
            if cat in policy.CATEGORIES
            else policy.largest_limit(settings)
        )

    def on_part_begin() -> None:
        state.update(name=None, filename=None, ctype=None, headers={})
        field_data.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        state["headers"][bytes(header_name).lower()] = bytes(header_value)  # type: ignore[index]
        header_name.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        nonlocal sink
        headers: dict[bytes, bytes] = state["headers"]  # type: ignore[assignment]
        _, opts = parse_options_header(headers.get(b"content-disposition", b""))
        state["name"] = opts.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in opts and state["name"] == "file":
            if sink is not None:
                raise InvalidUpload("Send one file per upload", fields={"file": "One file only"})
            state["filename"] = opts[b"filename"].decode("utf-8", "replace")
            state["ctype"] = headers.get(b"content-type", b"").decode("latin-1")
            sink = _Sink(new_temp(settings))
            received.update(filename=state["filename"], ctype=state["ctype"])

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["filename"] is not None and sink is not None and state["name"] == "file":
            pending.append(data[start:end])
            sink.size += end - start
            if sink.size > limit():
                raise FileTooLarge(limit(), category or fields.get("category") or "these")
        elif state["filename"] is None:
            field_data.extend(data[start:end])
            if len(field_data) > MAX_FIELD_BYTES:
                raise InvalidUpload(f"The field {state['name']} is too long")

    def on_part_end() -> None:
        if state["filename"] is None and state["name"]:
            fields[str(state["name"])] = field_data.decode("utf-8", "replace")

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
        },
    )
    try:
        try:
            async for chunk in stream:
                parser.write(chunk)
                if pending and sink is not None:
                    data = b"".join(pending)
                    pending.clear()
                    await asyncio.to_thread(sink.write, data)
            parser.finalize()
        except FormParserError as exc:
            raise InvalidUpload(
                f"The multipart/form-data body is malformed: {exc}",
                fields={"file": "Malformed multipart body"},
            ) from None
        if sink is None:
            raise InvalidUpload("No file in the form", fields={"file": "Required"})
        if sink.size == 0:
            raise InvalidUpload("The file is empty", fields={"file": "Empty"})
    except BaseException:
        if sink is not None:
            sink.close()
            sink.path.unlink(missing_ok=True)
        raise
    sink.close()
    result = Received(
        sink.path,
        sink.size,
        sink.hash.hexdigest(),
        str(received.get("filename") or ""),
        str(received.get("ctype") or "") or None,
    )
    return result, fields


async def receive_body(
    stream: AsyncIterator[bytes], settings: Settings, max_size: int
) -> tuple[Path, int]:
    """A raw request body to a temp file, refused as soon as it exceeds `max_size`."""
    sink = _Sink(new_temp(settings))
    try:
        async for chunk in stream:
            sink.size += len(chunk)
            if sink.size > max_size:
                raise InvalidUpload(
                    f"The body is larger than the {max_size} bytes the upload URL allows",
                    fields={"file": "Larger than announced"},
                )
            await asyncio.to_thread(sink.write, chunk)
    except BaseException:
        sink.close()
        sink.path.unlink(missing_ok=True)
        raise
    sink.close()
    return sink.path, sink.size


async def from_parsed_form(form: object, settings: Settings) -> tuple[Received, dict[str, str]]:
    """The same result from a form something else already parsed (a cookie-authenticated
    form post whose CSRF token came as a field rather than a header)."""
    from starlette.datastructures import FormData, UploadFile

    assert isinstance(form, FormData)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidUpload("No file in the form", fields={"file": "Required"})
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    sink = _Sink(new_temp(settings))
    try:
        await upload.seek(0)
        while chunk := await upload.read(1 << 20):
            sink.size += len(chunk)
            await asyncio.to_thread(sink.write, chunk)
    except BaseException:
        sink.close()
        sink.path.unlink(missing_ok=True)
        raise
    sink.close()
    ctype = upload.headers.get("content-type")
    return Received(
        sink.path, sink.size, sink.hash.hexdigest(), upload.filename or "", ctype
    ), fields
