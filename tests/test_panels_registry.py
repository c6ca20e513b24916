"""The panel registry: one client per panel, demo state per panel, the currency rule."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from bot.app import create_panels
from bot.config import load_settings
from bot.testing.telegram import TEST_TOKEN
from bot.upstream import PanelBalance
from bot.upstream.panels import Panel, Panels, RecordingPanel
from bot.upstream.sandbox import SandboxPanel


def test_every_panel_has_its_own_client_and_demo_state(tmp_path: Path) -> None:
    settings = load_settings(
        BOT_TOKEN=TEST_TOKEN,
        SMM_API_URL="demo",
        SMM_PANEL_NAME="first",
        SMM_EXTRA_PANELS=json.dumps(
            [{"name": "second", "url": "demo"}, {"name": "third", "url": "demo"}]
        ),
        DATABASE_PATH=tmp_path / "shop.sqlite3",
        _env_file=None,
    )
    panels = create_panels(settings)
    assert panels.names == ["first", "second", "third"] and panels.several
    clients = []
    for panel in panels:
        assert isinstance(panel.api, RecordingPanel)
        assert isinstance(panel.api.inner, SandboxPanel)
        clients.append(panel.api.inner)
    assert len({id(client) for client in clients}) == 3
    states = [client._state_path for client in clients]
    assert states == [
        tmp_path / "demo-panel.json",  # the main panel keeps the file it always had
        tmp_path / "demo-panel-second.json",
        tmp_path / "demo-panel-third.json",
    ]
    assert panels.get("") is panels.main and panels.get("nowhere") is None


def test_a_panel_in_another_currency_is_left_out() -> None:
    main, usd, eur = (SandboxPanel() for _ in range(3))
    panels = Panels([Panel("main", main), Panel("usd", usd), Panel("eur", eur)])
    panels.use_currency("usd")
    assert [p.name for p in panels.usable()] == ["main", "usd", "eur"]  # not known yet
    for panel, currency in zip(panels, ("EUR", "USD", "EUR"), strict=True):
        panels.note_balance(panel, PanelBalance(Decimal(1), currency))
    # The main panel's rates are the shop's by definition (SHOP_CURRENCY is its currency).
    assert [p.name for p in panels.usable()] == ["main", "usd"]
