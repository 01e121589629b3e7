"""The built browser assets. Tests that need them build them once when missing (npm ci, then
node build.mjs), exactly as the Makefile does."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
DIST = ROOT / "src" / "sparkle" / "web" / "static" / "dist"
REQUIRED = (
    "app.js",
    "editor.js",
    "app.css",
    "swagger-ui/swagger-ui.css",
    "swagger-ui/swagger-ui-bundle.js",
    "redoc/redoc.standalone.js",
)


def missing_assets() -> list[str]:
    return [name for name in REQUIRED if not (DIST / name).is_file()]


def ensure_assets() -> Path:
    """Build `static/dist` if any asset is missing; fail (never skip) when that is impossible."""
    if not missing_assets():
        return DIST
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        pytest.fail(f"front-end assets {missing_assets()} are missing and node/npm cannot be found")
    # Parallel test workers may all get here; one builds while the others wait.
    with open(Path(tempfile.gettempdir()) / "sparkle-assets.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if missing_assets():
            steps = [[node, "build.mjs"]]
            if not (FRONTEND / "node_modules").is_dir():
                steps.insert(0, [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"])
            for step in steps:
                done = subprocess.run(
                    step, cwd=FRONTEND, capture_output=True, text=True, timeout=600, check=False
                )
                if done.returncode != 0:
                    output = f"{done.stdout}\n{done.stderr}"
                    pytest.fail(f"building the front-end assets failed: {' '.join(step)}\n{output}")
    if missing := missing_assets():
        pytest.fail(f"the front-end build did not produce {missing}")
    return DIST
