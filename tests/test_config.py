"""Settings: defaults, .env, one readable line per mistake that never leaks a secret."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import traceback
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import ConfigurationError, Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
TOKEN = "123456789:AAH" + "x" * 32
SECRET = "secret-value-xyz"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting from the developer's shell or the repository's .env may leak into a test."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def minimal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SMM_API_URL", "https://panel.example/api/v2")
    monkeypatch.setenv("SMM_API_KEY", "k" * 32)


def configuration_error(**overrides: object) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(**overrides)
    return caught.value


@pytest.mark.usefixtures("minimal")
def test_defaults() -> None:
    settings = load_settings()
    assert settings.BOT_TOKEN.get_secret_value() == TOKEN
    assert settings.SMM_API_URL == "https://panel.example/api/v2"
    assert settings.DATABASE_PATH.as_posix() == "data/storefront.sqlite3"
    assert settings.PRICE_MARKUP_PERCENT.is_zero()
    assert settings.STATUS_POLL_SECONDS == 60
    assert settings.CATALOG_REFRESH_MINUTES == 30
    assert settings.DEFAULT_LANGUAGE == "en"
    assert settings.SHOP_CURRENCY is None  # the panel's currency is used
    assert settings.LOG_LEVEL == "INFO" and settings.log_level == logging.INFO
    assert isinstance(settings.ADMIN_IDS, frozenset) and not settings.ADMIN_IDS
    assert settings.TELEGRAM_API_URL is None
    assert not settings.is_demo_panel
    assert not settings.is_admin(1)


def test_the_env_file_in_the_working_directory_is_read(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text(
        f"BOT_TOKEN={TOKEN}\n"
        "SMM_API_URL=demo\n"
        "ADMIN_IDS=7, 8\n"
        "PRICE_MARKUP_PERCENT=15.5\n"
        "DATABASE_PATH=/tmp/elsewhere.sqlite3\n"
        "LOG_LEVEL=debug\n",
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.is_demo_panel
    assert sorted(settings.ADMIN_IDS) == [7, 8] and settings.is_admin(8)
    assert isinstance(settings.PRICE_MARKUP_PERCENT, Decimal)  # never a float
    assert str(settings.PRICE_MARKUP_PERCENT) == "15.5"
    assert settings.DATABASE_PATH.as_posix() == "/tmp/elsewhere.sqlite3"
    assert settings.LOG_LEVEL == "DEBUG" and settings.log_level == logging.DEBUG


def test_the_environment_wins_over_the_env_file(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_environment / ".env").write_text(
        f"BOT_TOKEN={TOKEN}\nSMM_API_URL=demo\nSTATUS_POLL_SECONDS=120\n", encoding="utf-8"
    )
    monkeypatch.setenv("STATUS_POLL_SECONDS", "30")
    assert load_settings().STATUS_POLL_SECONDS == 30


@pytest.mark.usefixtures("minimal")
@pytest.mark.parametrize(
    ("text", "ids"),
    [("1, 2,3", {1, 2, 3}), ("42", {42}), ("", set()), (" 5 ,, 6 , ", {5, 6})],
)
def test_admin_ids(monkeypatch: pytest.MonkeyPatch, text: str, ids: set[int]) -> None:
    monkeypatch.setenv("ADMIN_IDS", text)
    settings = load_settings()
    assert isinstance(settings.ADMIN_IDS, frozenset)
    assert set(settings.ADMIN_IDS) == ids
    assert all(settings.is_admin(user_id) for user_id in ids)


@pytest.mark.usefixtures("minimal")
@pytest.mark.parametrize("text", ["a", "1,a", "-5", "1;2", "1.5"])
def test_bad_admin_ids_name_the_variable(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("ADMIN_IDS", text)
    assert "ADMIN_IDS" in str(configuration_error())


@pytest.mark.parametrize("url", ["demo", "DEMO", " Demo "])
def test_the_demo_panel_needs_no_key(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SMM_API_URL", url)
    settings = load_settings()
    assert settings.is_demo_panel and settings.SMM_API_URL == "demo"
    assert settings.SMM_API_KEY is None


@pytest.mark.parametrize("key", [None, "", "   "])
def test_a_real_panel_needs_a_key(monkeypatch: pytest.MonkeyPatch, key: str | None) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SMM_API_URL", "https://panel.example/api/v2")
    if key is not None:
        monkeypatch.setenv("SMM_API_KEY", key)
    message = str(configuration_error())
    assert "SMM_API_KEY" in message and "demo" in message


def test_a_missing_token_is_named() -> None:
    message = str(configuration_error(SMM_API_URL="demo"))
    assert message.startswith("BOT_TOKEN")
    assert "required" in message


@pytest.mark.usefixtures("minimal")
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BOT_TOKEN", SECRET),
        ("BOT_TOKEN", f"123:{SECRET}"),
        ("SMM_API_URL", f"ftp://{SECRET}"),
        ("SMM_API_URL", SECRET),
        ("TELEGRAM_API_URL", f"localhost:{SECRET}"),
        ("PRICE_MARKUP_PERCENT", "-1"),
        ("PRICE_MARKUP_PERCENT", SECRET),
        ("STATUS_POLL_SECONDS", SECRET),
        ("STATUS_POLL_SECONDS", "0"),
        ("CATALOG_REFRESH_MINUTES", "0"),
        ("DEFAULT_LANGUAGE", "fr"),
        ("DEFAULT_LANGUAGE", SECRET),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_LEVEL", SECRET),
        ("SHOP_CURRENCY", "US"),
        ("SHOP_CURRENCY", SECRET),
        ("ADMIN_IDS", SECRET),
        ("WEBAPP_URL", f"http://{SECRET}.example"),
        ("WEBAPP_URL", SECRET),
    ],
)
def test_each_mistake_names_the_variable_and_never_its_value(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    error = configuration_error()
    message = str(error)
    assert name in message
    assert "\n" not in message
    assert SECRET not in message
    # Not even in a printed traceback: the pydantic error (which quotes inputs) is dropped.
    assert SECRET not in "".join(traceback.format_exception(error))


@pytest.mark.usefixtures("minimal")
def test_a_malformed_token_value_is_not_repeated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", SECRET)
    message = str(configuration_error())
    assert message.startswith("BOT_TOKEN")
    assert "BotFather" in message


@pytest.mark.usefixtures("minimal")
def test_values_are_trimmed_and_normalized(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", f"  {TOKEN}  ")
    monkeypatch.setenv("DEFAULT_LANGUAGE", " RU ")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://localhost:8081/")
    settings = load_settings()
    assert settings.BOT_TOKEN.get_secret_value() == TOKEN
    assert settings.DEFAULT_LANGUAGE == "ru"
    assert settings.log_level == logging.WARNING
    assert settings.TELEGRAM_API_URL == "http://localhost:8081"


@pytest.mark.usefixtures("minimal")
def test_the_mini_app_needs_a_public_https_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().mini_app_url is None  # no web side unless asked for
    monkeypatch.setenv("WEBAPP_URL", " https://shop.example.com/ ")
    settings = load_settings()
    assert settings.WEBAPP_URL == "https://shop.example.com"
    assert settings.mini_app_url == "https://shop.example.com/app/"
    monkeypatch.setenv("WEBAPP_URL", "http://shop.example.com")
    assert str(configuration_error()) == (
        "WEBAPP_URL must be the public https URL of the bot's web server"
    )


@pytest.mark.usefixtures("minimal")
def test_secrets_are_not_shown_by_repr() -> None:
    settings = load_settings()
    assert TOKEN not in repr(settings)
    assert "k" * 32 not in repr(settings)


def test_overrides_take_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SMM_API_URL", "https://panel.example/api/v2")
    settings = load_settings(SMM_API_URL="demo", PRICE_MARKUP_PERCENT="10")
    assert settings.is_demo_panel and str(settings.PRICE_MARKUP_PERCENT) == "10"


def test_running_without_configuration_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("minimal")
def test_referral_percent_is_validated_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().REFERRAL_PERCENT == 5
    monkeypatch.setenv("REFERRAL_PERCENT", "0")
    assert load_settings().REFERRAL_PERCENT == 0
    for bad in ("101", "-1", "lots"):
        monkeypatch.setenv("REFERRAL_PERCENT", bad)
        message = str(configuration_error())
        assert message.startswith("REFERRAL_PERCENT") and "\n" not in message, message


BACKUP_KEY = "backup-key-5d1f0a9c7e"


@pytest.mark.usefixtures("minimal")
def test_extra_panels_from_json_with_their_own_names_keys_and_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMM_PANEL_NAME", "first")
    monkeypatch.setenv(
        "SMM_EXTRA_PANELS",
        '[{"name": "backup", "url": "https://backup.example/api/v2", "key": " KEY ",'
        ' "concurrency": 2, "timeout": 12.5}, {"name": "demo-2", "url": "DEMO"}]'.replace(
            "KEY", BACKUP_KEY
        ),
    )
    settings = load_settings()
    main, backup, demo = settings.panels
    assert (main.name, main.url) == ("first", "https://panel.example/api/v2")
    assert (backup.name, backup.url, backup.concurrency) == (
        "backup",
        "https://backup.example/api/v2",
        2,
    )
    assert backup.key is not None and backup.key.get_secret_value() == BACKUP_KEY
    assert backup.timeout == Decimal("12.5")
    assert (demo.name, demo.is_demo, demo.key) == ("demo-2", True, None)
    assert BACKUP_KEY not in repr(settings)
    # Every panel key is scrubbed from the log like SMM_API_KEY.
    from bot.runtime.logging_setup import secrets_of

    assert BACKUP_KEY in secrets_of(settings)


@pytest.mark.usefixtures("minimal")
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            '[{"name": "b", "url": "https://b.example/api", "key": "@"'.replace("@", SECRET),
            "not valid JSON",
        ),
        ('{"name": "b"}', "must be a JSON list"),
        ('["@"]'.replace("@", SECRET), "entry 1 is not an object"),
        ('[{"name": "Big Name", "url": "demo"}]', "entry 1: name must be"),
        ('[{"name": "b", "url": "ftp://@"}]'.replace("@", SECRET), "entry 1 (b): url must be"),
        ('[{"name": "b", "url": "https://b.example/api"}]', "entry 1 (b): key is required"),
        (
            '[{"name": "b", "url": "demo", "@": 1}]'.replace("@", SECRET),
            "entry 1 has unknown fields",
        ),
        ('[{"name": "b", "url": "demo", "concurrency": 0}]', "concurrency must be 1 to 32"),
        ('[{"name": "main", "url": "demo"}]', "names must be unique"),
        ('[{"name": "b", "url": "demo"}, {"name": "b", "url": "demo"}]', "names must be unique"),
    ],
)
def test_a_malformed_panel_list_is_one_line_naming_it_never_its_value(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    monkeypatch.setenv("SMM_EXTRA_PANELS", value)
    error = configuration_error()
    assert str(error).startswith("SMM_EXTRA_PANELS"), str(error)
    assert expected in str(error)
    assert SECRET not in str(error) and "\n" not in str(error)


def test_a_malformed_panel_list_stops_the_bot_with_exit_2(tmp_path: Path) -> None:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "BOT_TOKEN": TOKEN,
        "SMM_API_URL": "demo",
        "SMM_EXTRA_PANELS": '[{"name": "b", "url": "https://b.example", "key": "@"'.replace(
            "@", SECRET
        ),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert "SMM_EXTRA_PANELS" in line and SECRET not in line


@pytest.mark.usefixtures("minimal")
def test_database_url_switches_storage_and_its_mistakes_are_named() -> None:
    assert load_settings().database_target == Path("data/storefront.sqlite3")
    url = "postgresql://shop:s3cret-pass@db:5432/storefront"
    assert load_settings(DATABASE_URL=url).database_target == url
    error = configuration_error(DATABASE_URL="mysql://shop:s3cret-pass@db/storefront")
    assert "DATABASE_URL" in str(error) and "s3cret-pass" not in str(error)
    # Several workers in webhook mode must all check the one secret Telegram was given.
    error = configuration_error(DATABASE_URL=url, WEBHOOK_URL="https://shop.example/tg")
    assert "WEBHOOK_SECRET" in str(error)
    assert (
        load_settings(
            DATABASE_URL=url, WEBHOOK_URL="https://shop.example/tg", WEBHOOK_SECRET="x" * 16
        ).WEBHOOK_SECRET
        is not None
    )


@pytest.mark.usefixtures("minimal")
def test_panel_concurrency_is_the_default_every_panel_without_its_own_takes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PANEL_CONCURRENCY", "8")
    monkeypatch.setenv(
        "SMM_EXTRA_PANELS",
        '[{"name": "own", "url": "demo", "concurrency": 2}, {"name": "plain", "url": "demo"}]',
    )
    main, own, plain = load_settings().panels
    assert (main.concurrency, own.concurrency, plain.concurrency) == (8, 2, 8)
    monkeypatch.delenv("PANEL_CONCURRENCY")
    assert [panel.concurrency for panel in load_settings().panels] == [4, 2, 4]
    monkeypatch.setenv("PANEL_CONCURRENCY", "0")
    with pytest.raises(ConfigurationError, match="PANEL_CONCURRENCY"):
        load_settings()
