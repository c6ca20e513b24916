"""The Mini App's pages: every message id they use is translated, none is hard-coded text.

The pages get their texts from GET /api/strings (the webapp-* messages); an id used in the
HTML or JavaScript that no language defines would show up as the bare id.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.telegram.i18n import Translations
from bot.web.pages import STATIC_DIR

FILES = sorted(path for path in STATIC_DIR.iterdir() if path.suffix in (".html", ".js"))
# t("id"...) in scripts, data-t / data-t-placeholder / data-t-label in pages.
USES = re.compile(r"""\bt\(\s*["']([a-z0-9-]+)["']|data-t(?:-[a-z]+)?=["']([a-z0-9-]+)["']""")


def used_ids(path: Path) -> set[str]:
    return {a or b for a, b in USES.findall(path.read_text(encoding="utf-8"))}


def test_the_pages_and_scripts_are_shipped() -> None:
    names = {path.name for path in STATIC_DIR.iterdir()}
    assert {"index.html", "admin.html", "app.js", "admin.js", "common.js", "style.css"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_id_the_page_uses_is_a_webapp_message_of_every_language(path: Path) -> None:
    translations = Translations("en")
    ids = used_ids(path)
    if path.name != "common.js":
        assert ids, f"{path.name} uses no translation at all"
    for language, known in translations.message_ids.items():
        missing = sorted(ids - known)
        assert not missing, f"{path.name}: not in {language}: {missing}"
    # Only webapp-* messages are served to the page (GET /api/strings).
    assert all(message_id.startswith("webapp-") for message_id in ids), sorted(ids)


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix == ".html"], ids=lambda p: p.name)
def test_pages_hold_no_text_of_their_own(path: Path) -> None:
    html = path.read_text(encoding="utf-8")
    body = html.split("<body", 1)[1].split(">", 1)[1]
    text = re.sub(r"<[^>]+>", " ", body)
    assert not re.search(r"[A-Za-zА-Яа-я]{2,}", text), "text outside our translations"
