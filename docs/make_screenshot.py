"""Make docs/mini-app.png, the README's picture of the Mini App, from a real run.

Runs the browser tests (headless Chromium, see tests/e2e/test_mini_app_browser.py) with
MINI_APP_SCREENSHOTS set, then puts the customer's catalog and the admin's dashboard side by
side. Usage: ``.venv/bin/python docs/make_screenshot.py`` (needs /usr/bin/chromium).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT, GAP = 420, 800, 24
BACKGROUND = (226, 230, 236)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-m", "browser", "-p", "no:cacheprovider",
             "tests/e2e/test_mini_app_browser.py"],
            cwd=ROOT,
            env={**os.environ, "MINI_APP_SCREENSHOTS": folder, "MINI_APP_ADMIN_LANGUAGE": "en"},
            check=True,
        )  # fmt: skip
        canvas = Image.new("RGB", (2 * WIDTH + 3 * GAP, HEIGHT + 2 * GAP), BACKGROUND)
        for column, name in enumerate(("catalog.png", "dashboard.png")):
            with Image.open(Path(folder) / name) as shot:
                scale = WIDTH / shot.width
                page = shot.crop((0, 0, shot.width, round(HEIGHT / scale)))
                page = page.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS).convert("RGB")
            canvas.paste(page, (GAP + column * (WIDTH + GAP), GAP))
        target = ROOT / "docs" / "mini-app.png"
        canvas.save(target, optimize=True)
        print(f"wrote {target.relative_to(ROOT)} ({target.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
