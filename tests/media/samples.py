"""Sample files for media tests, made on the fly (Pillow, ffmpeg, zipfile)."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

from PIL import Image

GPS_IFD = 0x8825


def jpeg(
    width: int = 800,
    height: int = 600,
    *,
    gps: bool = False,
    orientation: int | None = None,
    quality: int = 90,
    color: tuple[int, int, int] = (200, 60, 120),
) -> bytes:
    """A gradient JPEG, optionally with GPS coordinates and an EXIF orientation."""
    im = Image.new("RGB", (width, height), color)
    # A horizontal gradient and a dark block in the top-left corner: orientation is visible.
    px = im.load()
    for x in range(0, width, max(1, width // 64)):
        for y in range(0, height, max(1, height // 64)):
            px[x, y] = (x * 255 // width, y * 255 // height, 128)
    im.paste((0, 0, 0), (0, 0, width // 4, height // 4))
    exif = Image.Exif()
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
        exif[0x010F] = "SparkleCam"
    if orientation:
        exif[0x0112] = orientation
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, exif=exif.tobytes() if (gps or orientation) else b"")
    return buf.getvalue()


def png(width: int = 100, height: int = 80, *, alpha: bool = False) -> bytes:
    im = Image.new(
        "RGBA" if alpha else "RGB", (width, height), (10, 200, 90, 128) if alpha else (10, 200, 90)
    )
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def gif_animated(frames: int = 3, size: int = 200) -> bytes:
    images = [Image.new("RGB", (size, size), (i * 80 % 255, 100, 200)) for i in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return buf.getvalue()


def pdf(pages: int = 2) -> bytes:
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>")
    for _ in range(pages):
        objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("payload.html", "<html><script>alert(1)</script></html>")
    return buf.getvalue()


EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8"
    + b"\x00" * 200
    + b"PE\x00\x00"
)
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


def mp4(tmp: Path, seconds: float = 2.0) -> bytes:
    out = tmp / "sample.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=duration={seconds}:size=320x240:rate=10",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-movflags",
            "+faststart",
            "-y",
            str(out),
        ],
        check=True,
    )
    return out.read_bytes()
