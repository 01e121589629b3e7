"""Media processing benchmark: a 12-megapixel JPEG → original (metadata stripped) + four WebP
variants (150/320/640/1280) + a 4×3 blurhash, stored in the local storage backend.

Measures, per case (an upright photo, whose compressed data is kept, and a photo with an
EXIF rotation, which must be decoded fully and re-encoded):

- one upload at a time: images/s, the time split (decode, resize, encode, blurhash, storage)
  and the peak RSS each upload adds (each case runs in a fresh process, so its peak is its own);
- 8 uploads at once (asyncio tasks, processing in worker threads as the service does):
  images/s.

Prints tables and writes them to bench/results/media.md.

    uv run python bench/media_bench.py [--uploads 6] [--concurrent 8]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "media.md"
STEPS = ("decode", "resize", "encode", "blurhash", "storage")


def photo(path: Path, orientation: int | None) -> int:
    """A 4000×3000 photo-like JPEG (gradients plus sensor-like noise, quality 90)."""
    from PIL import Image

    w, h = 4000, 3000
    noise = Image.effect_noise((w, h), 24)
    gradient = Image.linear_gradient("L").resize((w, h))
    r = Image.blend(gradient, noise, 0.35)
    g = Image.blend(gradient.rotate(90).resize((w, h)), noise, 0.35)
    b = Image.blend(noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 0.5)
    im = Image.merge("RGB", (r, g, b))
    exif = Image.Exif()
    exif[0x010F] = "BenchCam"
    if orientation:
        exif[0x0112] = orientation
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, exif=exif.tobytes())
    path.write_bytes(buf.getvalue())
    return len(buf.getvalue())


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def one_upload(path: Path, store, n: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from sparkle.media.processing import process_image

    result = await asyncio.to_thread(process_image, path, "image/jpeg", max_pixels=40_000_000)
    start = time.perf_counter()
    base = f"post/bench/{n}"
    for v in result.variants:
        await store.put_bytes(f"{base}/{v.name}.webp", v.data, v.mime)
    await store.put_bytes(f"{base}/original.jpg", result.original.data, result.original.mime)
    timings = dict(result.timings)
    timings["storage"] = time.perf_counter() - start
    return timings


async def case(path: Path, uploads: int, concurrent: int) -> dict[str, object]:
    from sparkle.media.storage import LocalStorage

    with tempfile.TemporaryDirectory() as root:
        store = LocalStorage(Path(root), "bench-secret")
        base_rss = rss_mib()
        await one_upload(path, store, -1)  # warm-up (imports, codec tables)
        splits = dict.fromkeys(STEPS, 0.0)
        start = time.perf_counter()
        for i in range(uploads):
            t = await one_upload(path, store, i)
            for s in STEPS:
                splits[s] += t.get(s, 0.0)
        sequential = uploads / (time.perf_counter() - start)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        await asyncio.gather(*(one_upload(path, store, 1000 + i) for i in range(concurrent)))
        parallel = concurrent / (time.perf_counter() - start)
        peak_concurrent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "sequential": sequential,
        "parallel": parallel,
        "splits_ms": {s: splits[s] / uploads * 1000 for s in STEPS},
        "base_rss": base_rss,
        "peak_rss": peak,
        "peak_rss_concurrent": peak_concurrent,
    }


def child(args: argparse.Namespace) -> None:
    result = asyncio.run(case(Path(args.child), args.uploads, args.concurrent))
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--uploads", type=int, default=6, help="sequential uploads per case")
    parser.add_argument("--concurrent", type=int, default=8, help="uploads at once")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    from rich.console import Console
    from rich.table import Table

    load = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, orientation in (("upright (data kept)", None), ("rotated (re-encoded)", 6)):
            path = Path(tmp) / f"photo-{orientation or 1}.jpg"
            size = photo(path, orientation)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(path),
                    "--uploads",
                    str(args.uploads),
                    "--concurrent",
                    str(args.concurrent),
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            rows.append((label, size, json.loads(out.stdout.strip().splitlines()[-1])))

    headers = [
        "case",
        "file MB",
        "images/s (1 at a time)",
        f"images/s ({args.concurrent} at once)",
        *[f"{s} ms" for s in STEPS],
        "RSS before MiB",
        "peak RSS MiB (1)",
        f"peak RSS MiB ({args.concurrent})",
    ]
    table = Table(
        title="Sparkle media benchmark: 12 MP JPEG → original + 4 WebP variants + blurhash",
        title_justify="left",
    )
    for h in headers:
        table.add_column(h, justify="left" if h == "case" else "right")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for label, size, r in rows:
        row = [
            label,
            f"{size / 1e6:.1f}",
            f"{r['sequential']:.2f}",
            f"{r['parallel']:.2f}",
            *[f"{r['splits_ms'][s]:.0f}" for s in STEPS],
            f"{r['base_rss']:.0f}",
            f"{r['peak_rss']:.0f}",
            f"{r['peak_rss_concurrent']:.0f}",
        ]
        table.add_row(*row)
        lines.append("| " + " | ".join(row) + " |")
    meta = [
        f"- load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        f"- CPUs: {os.cpu_count()}; {args.uploads} sequential uploads per case after a warm-up",
        "- time split: mean per upload, one at a time; 'storage' writes the 5 objects to the local backend",
    ]
    Console().print(table)
    for m in meta:
        Console().print(m, highlight=False)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("# Media benchmark\n\n" + "\n".join(lines) + "\n\n" + "\n".join(meta) + "\n")


if __name__ == "__main__":
    main()
