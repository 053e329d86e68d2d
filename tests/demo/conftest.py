"""Every demo test writes its run folders under its own ``tmp_path`` (a failed run keeps its
folder: never in the machine's temp directory)."""

import tempfile
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _run_folders_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(runs))
