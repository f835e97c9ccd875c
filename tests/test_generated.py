"""The shared writer of generated files (dvtkg.generated): what `make generate` and the stale checks use."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvtkg.generated import stale, sync


def test_check_names_the_stale_files_and_writes_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "same.txt").write_text("a\n", encoding="utf-8")
    (tmp_path / "old.txt").write_text("old\n", encoding="utf-8")
    outputs = {Path("same.txt"): "a\n", Path("old.txt"): "new\n", Path("sub/missing.txt"): "m\n"}
    assert stale(tmp_path, outputs) == [Path("old.txt"), Path("sub/missing.txt")]
    assert sync(tmp_path, outputs, check=True, what="test files", logger="test") == 1
    assert (tmp_path / "old.txt").read_text(encoding="utf-8") == "old\n" and not (tmp_path / "sub").exists()
    assert "stale: old.txt (run make generate)" in caplog.text and "stale: same.txt" not in caplog.text


def test_sync_writes_the_stale_files_then_all_are_up_to_date(tmp_path: Path, capsys) -> None:
    outputs = {Path("old.txt"): "new\n", Path("sub/missing.txt"): "m\n"}
    (tmp_path / "old.txt").write_text("old\n", encoding="utf-8")
    assert sync(tmp_path, outputs, check=False, what="test files", logger="test") == 0
    assert (tmp_path / "old.txt").read_text(encoding="utf-8") == "new\n"
    assert (tmp_path / "sub" / "missing.txt").read_text(encoding="utf-8") == "m\n"
    assert "wrote old.txt" in capsys.readouterr().out
    assert stale(tmp_path, outputs) == []
    assert sync(tmp_path, outputs, check=True, what="test files", logger="test") == 0
    assert "test files: up to date" in capsys.readouterr().out
