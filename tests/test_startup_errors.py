"""A database or Redis the settings name but start-up cannot reach: one line, exit code 2.

Real ``python -m bot`` processes, started side by side (each takes a few seconds to import);
nothing listens on the ports they are given, so each refusal comes at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.service_harness import free_port

REPO = Path(__file__).resolve().parents[1]
TOKEN = "123456789:AAH" + "x" * 32
PASSWORD = "Db-pass-4821"


def start(tmp_path: Path, name: str, **settings: str) -> subprocess.Popen[str]:
    folder = tmp_path / name
    folder.mkdir()
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "BOT_TOKEN": TOKEN,
        "SMM_API_URL": "demo",
        "DATABASE_PATH": str(folder / "shop.sqlite3"),
        # Were the database passed, the bot would wait here for Telegram (never reached).
        "TELEGRAM_API_URL": f"http://127.0.0.1:{free_port()}",
        "WEBHOOK_SECRET": "w" * 16,
        **settings,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=folder,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def one_line(process: subprocess.Popen[str]) -> str:
    """The process stopped with exit code 2 and one line on stderr, which is returned."""
    try:
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 2, err
    assert out == "" and "Traceback" not in err, err
    [line] = err.splitlines()
    assert PASSWORD not in line
    return line


def test_an_unreachable_database_or_redis_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    port = free_port()
    processes = {
        "database": start(
            tmp_path, "database", DATABASE_URL=f"postgresql://shop:{PASSWORD}@127.0.0.1:{port}/db"
        ),
        "sqlite": start(tmp_path, "sqlite", DATABASE_PATH="/proc/no-such-folder/shop.sqlite3"),
        "redis": start(tmp_path, "redis", REDIS_URL=f"redis://:{PASSWORD}@127.0.0.1:{port}/0"),
    }
    line = one_line(processes["database"])
    assert line.startswith("Start-up error: cannot connect to postgresql://shop@127.0.0.1:")
    assert "refused" in line.lower() or "connect call failed" in line.lower(), line
    assert line.endswith("check DATABASE_URL")
    line = one_line(processes["sqlite"])
    assert "/proc/no-such-folder/shop.sqlite3" in line and line.endswith("check DATABASE_PATH")
    line = one_line(processes["redis"])
    assert line.startswith(f"Start-up error: cannot reach Redis at redis://127.0.0.1:{port}/0")
    assert line.endswith("check REDIS_URL")


@pytest.mark.postgres
def test_a_wrong_database_in_the_url_is_named(tmp_path: Path) -> None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip('TEST_DATABASE_URL is not set (eval "$(.ci/services.sh)")')
    server = url.rsplit("/", 1)[0].split("@", 1)[1]
    processes = [
        start(tmp_path, "role", DATABASE_URL=f"postgresql://nobody:{PASSWORD}@{server}/postgres"),
        start(tmp_path, "name", DATABASE_URL=f"{url.rsplit('/', 1)[0]}/no_such_shop"),
    ]
    assert 'role "nobody" does not exist' in one_line(processes[0])
    assert 'database "no_such_shop" does not exist' in one_line(processes[1])
