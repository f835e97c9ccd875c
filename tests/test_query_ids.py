"""Query files: the ``# id:`` header equals the file stem in every folder of queries/ (the house rule), so a
query found by id is found by file name too."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvtkg.queryfiles import find_queries

FOLDERS = ["qc", "cq", "guidance", "docs"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_query_ids_equal_file_stems(project_root: Path, folder: str) -> None:
    directory = project_root / "queries" / folder
    queries = find_queries(directory)
    assert queries, f"queries/{folder} holds no .rq file"
    wrong = [(q.path.name, q.id) for q in queries if q.id != q.path.stem]
    assert not wrong, f"queries/{folder}: id differs from the file name: {wrong}"
    prefixed = [q.path.name for q in queries if not q.id.startswith(f"{folder}-")]
    assert not prefixed, f"queries/{folder}: ids start with '{folder}-': {prefixed}"
