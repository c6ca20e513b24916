"""Dependencies the code relies on without importing them itself."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_sniffio_is_a_dependency_so_httpcore_stops_retrying_its_import() -> None:
    # httpcore runs ``import sniffio`` on every request; a failed import is not cached, so
    # without the package every panel call paid a sys.path search (about 50 µs here).
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(dependency.startswith("sniffio") for dependency in project["dependencies"])
    assert importlib.util.find_spec("sniffio") is not None
