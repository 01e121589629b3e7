"""Byte-level validation and processing of uploaded files, run in worker threads (Pillow and
hashlib release the GIL) so the event loop is never blocked.

Images: EXIF orientation applied, then every metadata block dropped (ICC colour profiles are
kept: they carry no personal data and change how colours look); variants that fit inside
150/320/640/1280 px boxes, never enlarged, encoded as WebP (smaller than JPEG at the same
quality, with alpha, read by every current browser); a 4×3 blurhash. A JPEG without a rotation
keeps its original compressed data: only the metadata segments and trailing bytes are cut.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import blurhash
import magic
from PIL import Image, ImageOps

from sparkle.media import policy
from sparkle.media.errors import ImageTooLarge, UnsupportedMediaType

SNIFF_BYTES = 256 * 1024
SCAN_BYTES = 64 * 1024
PIL_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
EXECUTABLE_TYPES = {
    "application/x-dosexec",
    "application/x-executable",
    "application/x-sharedlib",
    "application/x-pie-executable",
    "application/x-mach-binary",
    "application/x-elf",
    "application/x-msdownload",
    "application/x-shellscript",
    "text/x-shellscript",
    "application/java-archive",
}
# Markup or code that a browser or interpreter could act on, hidden inside another format.
ACTIVE_MARKERS = re.compile(
    rb"<script|<html|<\?php|<svg|<!doctype html|<iframe|<body|<object|<embed", re.IGNORECASE
)
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia)\b")
TYPE_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}
UNDECLARED = {"", "application/octet-stream", "binary/octet-stream"}
BLURHASH_SIDE = 32


@dataclass
class Sniffed:
    mime: str
    kind: str
    ext: str


def sniff(head: bytes) -> str:
    return magic.from_buffer(head, mime=True)


def check_type(head: bytes, *, declared: str | None, filename: str, category: str) -> Sniffed:
    """The type the bytes say, if allowed and consistent with what the client declared."""
    sniffed = sniff(head)
    if "svg" in sniffed:
        raise UnsupportedMediaType("SVG images are not accepted (they can carry scripts)")
    if sniffed in EXECUTABLE_TYPES or head[:2] == b"MZ" or head[:4] == b"\x7fELF":
        raise UnsupportedMediaType("Executable files are not accepted")
    kind = policy.kind_of(sniffed)
    if kind is None:
        allowed = ", ".join(policy.EXTENSIONS.values())
        raise UnsupportedMediaType(f"Files of type {sniffed} are not accepted (allowed: {allowed})")
    kinds = policy.CATEGORY_KINDS[category]
    if kind not in kinds:
        raise UnsupportedMediaType(
            f"{category} uploads accept {' or '.join(sorted(kinds))} files; this is {sniffed}"
        )
    claimed = (declared or "").split(";")[0].strip().lower()
    claimed = TYPE_ALIASES.get(claimed, claimed)
    if claimed not in UNDECLARED and claimed != sniffed:
        raise UnsupportedMediaType(f"The file was sent as {claimed} but its content is {sniffed}")
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext and ext not in policy.ALIASES[sniffed]:
        raise UnsupportedMediaType(f"The file name ends in .{ext} but its content is {sniffed}")
    return Sniffed(sniffed, kind, policy.EXTENSIONS[sniffed])


def check_polyglot(path: Path, sniffed: Sniffed) -> None:
    """Refuse a file that is also something else: markup or script at either end, a ZIP
    archive appended to a non-ZIP format, active content in a PDF."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(SCAN_BYTES)
        fh.seek(max(0, size - SCAN_BYTES))
        tail = fh.read(SCAN_BYTES)
    scanned = sniffed.kind != "document" or sniffed.ext == "pdf"
    if scanned and (ACTIVE_MARKERS.search(head) or ACTIVE_MARKERS.search(tail)):
        raise UnsupportedMediaType(
            f"The file is a {sniffed.mime} that also contains markup or script"
        )
    if sniffed.ext != "docx" and b"PK\x05\x06" in tail and zipfile.is_zipfile(path):
        raise UnsupportedMediaType(f"The file is a {sniffed.mime} with a ZIP archive inside")
    if sniffed.ext == "pdf":
        with path.open("rb") as fh:
            carry = b""
            while chunk := fh.read(1 << 20):
                if PDF_ACTIVE.search(carry + chunk):
                    raise UnsupportedMediaType(
                        "PDF files with scripts, launch actions or embedded files are not accepted"
                    )
                carry = chunk[-32:]


# --- images -------------------------------------------------------------------------------


@dataclass
class Encoded:
    name: str
    data: bytes
    width: int
    height: int
    ext: str
    mime: str


@dataclass
class ImageResult:
    width: int
    height: int
    original: Encoded
    # Every distinct variant; `names` maps each variant name to one of them (a small image's
    # larger variants are the same file).
    variants: list[Encoded]
    names: dict[str, str]
    blurhash: str
    animated: bool = False
    frames: int = 1
    timings: dict[str, float] = field(default_factory=dict)


class Timings(dict[str, float]):
    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self[name] = self.get(name, 0.0) + time.perf_counter() - start


def fit(width: int, height: int, box: int) -> tuple[int, int]:
    """Fit inside `box`×`box`, keeping the aspect ratio, never enlarging."""
    scale = min(box / width, box / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def process_image(path: Path, mime: str, *, max_pixels: int) -> ImageResult:
    """Decode, check, orient and strip an image; encode its variants and blurhash."""
    t = Timings()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as im:
                return _process(im, path, mime, max_pixels, t)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLarge(max_pixels + 1, max_pixels) from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise UnsupportedMediaType(f"The image cannot be decoded: {exc}") from exc


def _process(im: Image.Image, path: Path, mime: str, max_pixels: int, t: Timings) -> ImageResult:
    if PIL_FORMATS.get(im.format or "") != mime:
        raise UnsupportedMediaType(f"The content is not a valid {mime} image")
    width, height = im.size
    frames = getattr(im, "n_frames", 1) if getattr(im, "is_animated", False) else 1
    if width * height > max_pixels:
        raise ImageTooLarge(width * height, max_pixels)
    # An animation decodes every frame: bound the total, not only one frame.
    if width * height * frames > max_pixels * 4:
        raise ImageTooLarge(width * height * frames, max_pixels * 4)
    icc = im.info.get("icc_profile")
    orientation = im.getexif().get(0x0112, 1) if mime != "image/gif" else 1

    if frames > 1:
        with t.step("encode"):
            original = _encode_animation(im, mime, icc)
        im.seek(0)
        with t.step("decode"):
            still = _rgb(im.copy())
    elif mime == "image/jpeg" and orientation in (0, 1):
        with t.step("encode"):
            original = Encoded(
                "original", strip_jpeg(path.read_bytes()), width, height, "jpg", mime
            )
        with t.step("decode"):
            # Decode with DCT scaling: no variant needs more than the largest box.
            big = max(policy.VARIANTS.values())
            im.draft("RGB", (big, big))
            im.load()
            still = _rgb(im)
    else:
        with t.step("decode"):
            im.load()
            still = _rgb(ImageOps.exif_transpose(im))
        width, height = still.size
        with t.step("encode"):
            original = _encode_still(still, mime, icc)

    variants: list[Encoded] = []
    names: dict[str, str] = {}
    source = still
    src_w, src_h = width, height
    for name, box in sorted(policy.VARIANTS.items(), key=lambda kv: -kv[1]):
        size = fit(src_w, src_h, box)
        if variants and (variants[-1].width, variants[-1].height) == size:
            names[name] = variants[-1].name
            continue
        with t.step("resize"):
            resized = (
                source.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
                if source.size != size
                else source
            )
        with t.step("encode"):
            buf = io.BytesIO()
            resized.save(buf, "WEBP", quality=policy.VARIANT_QUALITY, method=4, icc_profile=icc)
        variants.append(Encoded(name, buf.getvalue(), size[0], size[1], "webp", "image/webp"))
        names[name] = name
        source = resized
    with t.step("blurhash"):
        hash_ = compute_blurhash(source)
    return ImageResult(
        width,
        height,
        original,
        variants,
        names,
        hash_,
        animated=frames > 1,
        frames=frames,
        timings=t,
    )


def _rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("RGB", "RGBA"):
        return im
    has_alpha = im.mode in ("LA", "PA") or "transparency" in im.info
    return im.convert("RGBA" if has_alpha else "RGB")


def _encode_still(im: Image.Image, mime: str, icc: bytes | None) -> Encoded:
    buf = io.BytesIO()
    if mime == "image/jpeg":
        im.convert("RGB").save(buf, "JPEG", quality=92, progressive=True, icc_profile=icc)
    elif mime == "image/png":
        im.save(buf, "PNG", compress_level=6, icc_profile=icc)
    elif mime == "image/webp":
        im.save(buf, "WEBP", quality=90, method=4, icc_profile=icc)
    else:
        im.save(buf, "GIF")
    ext = policy.EXTENSIONS[mime]
    return Encoded("original", buf.getvalue(), im.width, im.height, ext, mime)


def _encode_animation(im: Image.Image, mime: str, icc: bytes | None) -> Encoded:
    """Every frame again, with timing and looping, without comments, EXIF or XMP."""
    buf = io.BytesIO()
    options: dict[str, Any] = {"save_all": True, "loop": im.info.get("loop", 0)}
    if "duration" in im.info:
        options["duration"] = im.info["duration"]
    if mime == "image/webp":
        im.save(buf, "WEBP", quality=90, method=4, **options)
    else:
        im.save(buf, "GIF", optimize=False, disposal=2, **options)
    return Encoded("original", buf.getvalue(), im.width, im.height, policy.EXTENSIONS[mime], mime)


def compute_blurhash(im: Image.Image) -> str:
    """A 4×3-component blurhash of a small downscale (the hash only holds low frequencies)."""
    small = im.convert("RGB")
    small.thumbnail((BLURHASH_SIDE, BLURHASH_SIDE), Image.Resampling.BILINEAR)
    w, h = small.size
    raw = small.tobytes()
    rows = [[list(raw[(y * w + x) * 3 : (y * w + x) * 3 + 3]) for x in range(w)] for y in range(h)]
    return blurhash.encode(rows, 4, 3)


# JPEG segments kept when the compressed data is kept: JFIF (APP0), ICC profiles (APP2
# "ICC_PROFILE") and Adobe's colour transform flag (APP14); EXIF/XMP (APP1), IPTC (APP13),
# comments and every other application segment go.
_KEEP_APP = {0xE0: b"JFIF", 0xE2: b"ICC_PROFILE", 0xEE: b"Adobe"}


def strip_jpeg(data: bytes) -> bytes:
    """The same JPEG without metadata segments and without anything after its end."""
    if data[:2] != b"\xff\xd8":
        raise UnsupportedMediaType("The content is not a valid image/jpeg image")
    out = bytearray(b"\xff\xd8")
    i, n = 2, len(data)
    in_scan = False
    while i < n:
        if in_scan:
            # Entropy-coded data: FF00 is a stuffed byte, FFD0–FFD7 are restart markers,
            # FFFF is fill before a marker.
            j = i
            while True:
                j = data.find(b"\xff", j)
                if j == -1 or j + 1 >= n:
                    raise UnsupportedMediaType("The JPEG data is truncated")
                follower = data[j + 1]
                if follower == 0 or 0xD0 <= follower <= 0xD7:
                    j += 2
                elif follower == 0xFF:
                    j += 1
                else:
                    break
            out += data[i:j]
            i = j
            in_scan = False
            continue
        if data[i] != 0xFF:
            raise UnsupportedMediaType("The JPEG data is malformed")
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker == 0xD9:
            out += b"\xff\xd9"
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += data[i : i + 2]
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        segment = data[i : i + 2 + length]
        if len(segment) < 4 or i + 2 + length > n:
            raise UnsupportedMediaType("The JPEG data is truncated")
        keep = True
        if 0xE0 <= marker <= 0xEF:
            sig = _KEEP_APP.get(marker)
            keep = sig is not None and segment[4 : 4 + len(sig)] == sig
        elif marker == 0xFE:
            keep = False
        if keep:
            out += segment
        i += 2 + length
        if marker == 0xDA:
            in_scan = True
    raise UnsupportedMediaType("The JPEG data has no end marker")


# --- video --------------------------------------------------------------------------------


class VideoError(Exception):
    """The video cannot be read (the message says why)."""


# The timeout bounds the child process, which is killed when it runs out.
async def _run(*args: str, timeout: float = 120) -> bytes:  # noqa: ASYNC109
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise VideoError(f"{args[0]} took longer than {timeout:g} s") from exc
    if proc.returncode != 0:
        reason = err.decode(errors="replace").strip().splitlines()
        raise VideoError(reason[-1] if reason else f"{args[0]} failed")
    return out


@dataclass
class VideoInfo:
    duration: float | None
    width: int
    height: int
    codec: str


async def probe(path: Path) -> VideoInfo:
    """Duration, dimensions and codec of the first video stream (ffprobe)."""
    out = await _run(
        "ffprobe",
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        str(path),
        timeout=60,
    )
    info = json.loads(out or b"{}")
    stream = next((s for s in info.get("streams", []) if s.get("codec_type") == "video"), None)
    if stream is None or not stream.get("width"):
        raise VideoError("The file has no video stream")
    raw = info.get("format", {}).get("duration") or stream.get("duration")
    duration = float(raw) if raw not in (None, "N/A") else None
    return VideoInfo(
        duration, int(stream["width"]), int(stream["height"]), stream.get("codec_name", "")
    )


async def extract_poster(path: Path, duration: float | None, dest: Path) -> None:
    """One frame at 1 s, or at 10 % of a video shorter than 10 s, as PNG."""
    at = min(1.0, duration * 0.1) if duration else 0.0
    await _run(
        "ffmpeg",
        "-v",
        "error",
        "-nostdin",
        "-ss",
        f"{at:.3f}",
        "-i",
        str(path),
        "-frames:v",
        "1",
        "-an",
        "-f",
        "image2",
        "-c:v",
        "png",
        "-y",
        str(dest),
        timeout=120,
    )
    # One stat of a local temporary file: not worth a thread.
    if not dest.exists() or dest.stat().st_size == 0:  # noqa: ASYNC240
        raise VideoError("No frame could be decoded from the video")


# --- documents ----------------------------------------------------------------------------

_PAGES_COUNT = re.compile(
    rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", re.DOTALL
)
_PAGE = re.compile(rb"/Type\s*/Page\b(?!s)")


def pdf_pages(path: Path) -> int | None:
    """The page count from the page tree, when it is not inside a compressed object stream."""
    data = path.read_bytes()
    counts = [int(a or b) for a, b in _PAGES_COUNT.findall(data)]
    if counts:
        return max(counts)
    pages = len(_PAGE.findall(data))
    return pages or None
