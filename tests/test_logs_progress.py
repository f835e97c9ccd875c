"""Diagnostics on stderr (-v, -q, --log-format json) and progress bars that stay silent off a terminal.

The command used is `dvtkg query no-such-query`: it fails at once, before any knowledge
is loaded, with an error on stderr and nothing on stdout; `dvtkg query --list` succeeds
with its list on stdout. Neither runs HermiT.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from dvtkg import logs, progress
from dvtkg.cli import main
from dvtkg.qc import run_qc


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


# ---- -v / -q / --log-format ------------------------------------------------------------


def test_errors_are_one_text_line_on_stderr_by_default(capsys) -> None:
    rc, out, err = run(capsys, "query", "no-such-query")
    assert rc == 2 and out == ""
    assert err.startswith("dvtkg: error: no query file or query id 'no-such-query'")
    assert len(err.strip().splitlines()) == 1


def test_verbose_adds_debug_lines_and_leaves_stdout_alone(capsys) -> None:
    rc, plain_out, plain_err = run(capsys, "query", "--list")
    assert rc == 0 and "debug" not in plain_err
    rc, out, err = run(capsys, "-v", "query", "--list")
    assert rc == 0 and out == plain_out  # the command's output does not change
    assert "dvtkg: debug: query finished in " in err


def test_quiet_keeps_errors(capsys) -> None:
    rc, out, err = run(capsys, "-q", "query", "no-such-query")
    assert rc == 2 and err.startswith("dvtkg: error: ")
    rc, out, err = run(capsys, "-qq", "-v", "query", "--list")  # -qq wins: nothing but errors
    assert rc == 0 and err == ""


def test_quiet_levels() -> None:
    # default: info and above; -v: debug; -q: warnings; -qq: errors
    assert logs.level_for() == logging.INFO
    assert logs.level_for(verbose=1) == logging.DEBUG
    assert logs.level_for(quiet=1) == logging.WARNING
    assert logs.level_for(quiet=2) == logging.ERROR


def test_quiet_hides_info_and_shows_warnings(capsys) -> None:
    log = logs.get("dvtkg.test")
    with logs.configured(quiet=1):
        log.info("an info note")
        log.warning("a warning")
    err = capsys.readouterr().err
    assert "an info note" not in err
    assert err == "dvtkg: warning: a warning\n"


def test_json_log_format_writes_one_object_per_line(capsys) -> None:
    rc, out, err = run(capsys, "--log-format", "json", "-v", "query", "no-such-query")
    assert rc == 2 and out == ""
    entries = [json.loads(line) for line in err.splitlines()]
    assert [e["level"] for e in entries] == ["error"]
    entry = entries[0]
    assert set(entry) == {"time", "level", "logger", "message"}
    assert entry["logger"].startswith("dvtkg")
    assert entry["message"].startswith("no query file or query id 'no-such-query'")
    assert entry["time"].endswith("+00:00")


def test_json_log_format_for_debug_lines_too(capsys) -> None:
    rc, out, err = run(capsys, "--log-format", "json", "-v", "query", "--list")
    assert rc == 0 and out.strip()
    entries = [json.loads(line) for line in err.splitlines()]
    assert entries and all(e["level"] == "debug" for e in entries)


def test_the_logger_is_put_back_after_a_run(capsys) -> None:
    logger = logging.getLogger(logs.LOGGER)
    before = (logger.level, list(logger.handlers), logger.propagate)
    run(capsys, "-v", "--log-format", "json", "query", "--list")
    assert (logger.level, list(logger.handlers), logger.propagate) == before


def test_unknown_log_format_is_refused(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--log-format", "xml", "query", "--list"])
    assert exc.value.code == 2
    assert "--log-format" in capsys.readouterr().err


# ---- progress bars ---------------------------------------------------------------------


def test_bar_is_silent_when_stderr_is_not_a_terminal(capsys) -> None:
    assert list(progress.bar(range(50), desc="counting", total=50)) == list(range(50))
    with progress.activity("waiting", tick=0.01):
        pass
    assert capsys.readouterr() == ("", "")


def test_bar_draws_on_a_terminal(monkeypatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert list(progress.bar(range(5), desc="counting", total=5)) == list(range(5))
    assert "counting" in terminal.getvalue()


def test_bar_is_silent_on_a_terminal_under_quiet(monkeypatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with logs.configured(quiet=1):
        assert list(progress.bar(range(5), desc="counting", total=5)) == list(range(5))
        with progress.activity("waiting", tick=0.01):
            pass
    assert terminal.getvalue() == ""


def test_qc_run_writes_nothing_to_stderr_off_a_terminal(tmp_path: Path, capsys) -> None:
    # run_qc shows a bar per query on a terminal; captured (not a terminal) it stays silent
    from rdflib import Graph

    (tmp_path / "qc-nothing.rq").write_text(
        "# id: qc-nothing\n# summary: finds nothing\n# params: none\n# expect: none\n"
        "SELECT ?focus ?message WHERE { ?focus <urn:x:never> ?message }\n", encoding="utf-8")
    assert run_qc(Graph(), tmp_path) == []
    assert capsys.readouterr().err == ""
