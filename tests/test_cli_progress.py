"""Progress on a terminal, silence elsewhere, and ``generate --format json`` for build tools.

The pipeline tells a ``progress`` callback which stage starts (generator/pipeline/__init__.py,
``STAGES``); generator/progress.py draws that as one stderr line on a terminal. Here:
the line itself (fake clock, no terminal), the stages the pipeline reports, and
``clientsmith generate`` run as users run it, with stderr on a pseudo-terminal
(Python's ``pty`` module) or on a pipe, with and without ``-q``, and with ``--format json``.
"""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from generator import pipeline
from generator.pipeline import write
from generator.progress import DELAY_VARIABLE, ProgressLine
from tests.test_cli import INVALID, PETSTORE, REPO_ROOT, clientsmith, explain, snapshot

STAGES = pipeline.STAGES

# PETSTORE plus an operation answering JSON or XML, whose XML `generate` warns about.
WITH_A_WARNING = PETSTORE + textwrap.indent(
    textwrap.dedent(
        """
        /events:
          get:
            operationId: streamEvents
            tags: [pets]
            responses:
              "200":
                description: Events.
                content:
                  application/json:
                    schema: {type: string}
                  application/xml:
                    schema: {type: string}
        """
    ),
    "  ",
)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "petstore.yaml").write_text(PETSTORE.lstrip(), "utf-8")
    (tmp_path / "invalid.yaml").write_text(INVALID.lstrip(), "utf-8")
    (tmp_path / "warned.yaml").write_text(WITH_A_WARNING.lstrip(), "utf-8")
    return tmp_path


def configure(work: Path, *packages: str) -> None:
    """A clients.yaml listing, in order, ``<package>.yaml`` generated into ``gen/<package>``."""
    entries = "".join(f"  - {{spec: {name}.yaml, package: {name}, output: gen/{name}}}\n" for name in packages)
    (work / "clients.yaml").write_text("clients:\n" + entries, "utf-8")


# --- the line itself -------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def line_on(stream: io.StringIO, clock: Clock, *, delay: float = 1.0, width: int = 80, interval: float = 0) -> ProgressLine:
    return ProgressLine(stream, STAGES, delay=delay, interval=interval, clock=clock, width=lambda: width)


def test_the_line_appears_only_once_the_run_took_the_delay() -> None:
    stream, clock = io.StringIO(), Clock()
    with line_on(stream, clock) as line:
        progress = line.client("stripe_client")
        progress("load")
        clock.now += 0.6
        progress("validate")
        assert stream.getvalue() == "", "nothing may be drawn before the delay"
        clock.now += 0.5
        progress("IR")
        assert stream.getvalue() == "\rstripe_client: IR, stage 3/7, 1.1 s"
        clock.now += 2.0
        progress("models")
        assert stream.getvalue().endswith("\rstripe_client: models, stage 4/7, 3.1 s")
    assert stream.getvalue().endswith("\r" + " " * len("stripe_client: models, stage 4/7, 3.1 s") + "\r"), "close() erases the line"


def test_a_shorter_text_blanks_what_the_longer_one_left() -> None:
    stream, clock = io.StringIO(), Clock()
    line = line_on(stream, clock, delay=0)
    progress = line.client("x")
    progress("validate")
    progress("IR")
    assert stream.getvalue() == "\rx: validate, stage 2/7, 0.0 s\rx: IR, stage 3/7, 0.0 s" + " " * 6
    line.close()


def test_other_lines_print_above_it_and_done_erases_it() -> None:
    stream, clock = io.StringIO(), Clock()
    line = line_on(stream, clock, delay=0)
    progress = line.client("pets (1/2)")
    progress("load")
    line.print("warning: something")
    drawn = "pets (1/2): load, stage 1/7, 0.0 s"
    blank = "\r" + " " * len(drawn) + "\r"
    assert stream.getvalue() == f"\r{drawn}{blank}warning: something\n\r{drawn}", "erase, print the line, draw again"
    line.done()
    assert stream.getvalue().endswith(blank), "done() erases the line"
    before = stream.getvalue()
    line.print("generated pets")
    assert stream.getvalue() == before + "generated pets\n", "between clients nothing is drawn"
    line.close()
    assert stream.getvalue() == before + "generated pets\n", "closing with nothing on screen writes nothing"


def test_the_line_fits_the_terminal() -> None:
    stream, clock = io.StringIO(), Clock()
    line = line_on(stream, clock, delay=0, width=20)
    line.client("a_very_long_package_name")("models")
    assert stream.getvalue() == "\r" + "a_very_long_package_name: models"[:19], "one column short of the width, so it never wraps"
    line.close()


def test_the_ticker_moves_the_seconds_during_a_long_stage() -> None:
    stream, clock = io.StringIO(), Clock()
    line = line_on(stream, clock, delay=0, interval=0.01)
    line.client("stripe_client")("models")
    clock.now += 7.25
    deadline = time.monotonic() + 10
    while "7.2 s" not in stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    line.close()
    assert stream.getvalue().count("\rstripe_client: models, stage 4/7, ") == 2, f"drawn when the stage started and when the seconds moved: {stream.getvalue()!r}"
    assert "stripe_client: models, stage 4/7, 7.2 s" in stream.getvalue()
    assert not [thread for thread in threading.enumerate() if thread.name == "clientsmith-progress"], "close() stops the ticker"


# --- what the pipeline reports ----------------------------------------------------------------


def test_the_pipeline_reports_each_stage_in_order(work: Path) -> None:
    told: list[str] = []
    built = pipeline.build(work / "petstore.yaml", "petstore", progress=told.append)
    assert told == list(STAGES[:-1]), "build() reports every stage but write"
    told.clear()
    generated = pipeline.generate(work / "petstore.yaml", "petstore", work / "out", progress=told.append)
    assert told == list(STAGES)
    assert generated.files == built.files, "progress changes nothing in the output"


# --- the command line -------------------------------------------------------------------------


def on_terminal(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``python -m generator ARGS`` with stderr on a pseudo-terminal and stdout on a pipe.

    Returns the exit code, what reached the terminal (``\\r\\n`` as ``\\n``) and stdout.
    """
    main, secondary = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=secondary,
    )
    os.close(secondary)
    received = bytearray()
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 1.0)
            if not ready:
                continue
            try:
                data = os.read(main, 65536)
            except OSError:  # EIO: every process holding the terminal has exited
                break
            if not data:
                break
            received.extend(data)
        else:
            process.kill()
            pytest.fail(f"clientsmith {' '.join(args)} did not finish in 120 s; terminal so far: {bytes(received)!r}")
        assert process.stdout is not None
        stdout = process.stdout.read().decode("utf-8")
        code = process.wait(timeout=30)
    finally:
        os.close(main)
        if process.stdout is not None:
            process.stdout.close()
    return code, received.decode("utf-8").replace("\r\n", "\n"), stdout


def screen(terminal: str) -> list[str]:
    """The lines a terminal shows in the end: each ``\\r`` moves back to the start of the line."""
    shown: list[str] = []
    for raw in terminal.split("\n"):
        cells: list[str] = []
        column = 0
        for char in raw:
            if char == "\r":
                column = 0
                continue
            if column < len(cells):
                cells[column] = char
            else:
                cells.append(char)
            column += 1
        shown.append("".join(cells).rstrip())
    return [line for line in shown if line]


def test_generate_on_a_terminal_shows_every_stage_then_erases_the_line(work: Path) -> None:
    code, terminal, stdout = on_terminal("generate", "petstore.yaml", "-o", "out", "--package-name", "petstore", cwd=work, env={DELAY_VARIABLE: "0"})
    assert code == 0, terminal
    assert stdout == ""
    drawn = [part.rstrip() for part in terminal.split("\r") if part.startswith("petstore: ")]
    stages = [text.split(": ", 1)[1].split(",", 1)[0] for text in drawn]
    assert sorted(set(stages), key=stages.index) == list(STAGES), f"each stage drawn, in order: {terminal!r}"
    for text in drawn:
        stage = text.split(": ", 1)[1].split(",", 1)[0]
        assert text.startswith(f"petstore: {stage}, stage {STAGES.index(stage) + 1}/{len(STAGES)}, ") and text.endswith(" s"), text
    [summary] = screen(terminal)
    files = len(snapshot(work / "out"))
    assert summary.startswith(f"generated petstore from petstore.yaml into out ({files} written, 0 unchanged, 0 deleted; "), (
        f"the progress line leaves nothing behind but the summary: {screen(terminal)}"
    )

    plain = clientsmith("generate", "petstore.yaml", "-o", "plain", "--package-name", "petstore", cwd=work)
    assert plain.returncode == 0, explain(plain)
    assert snapshot(work / "out") == snapshot(work / "plain"), "the terminal changes nothing in the generated files"


def test_generate_over_several_clients_numbers_them_and_keeps_warnings_readable(work: Path) -> None:
    configure(work, "petstore", "warned")
    code, terminal, _ = on_terminal("generate", cwd=work, env={DELAY_VARIABLE: "0"})
    assert code == 0, terminal
    assert "\rpetstore (1/2): load, stage 1/7, " in terminal and "\rwarned (2/2): write, stage 7/7, " in terminal, terminal
    shown = screen(terminal)
    assert [line.split(" (", 1)[0] if line.startswith("generated") else line.split(":", 1)[0] for line in shown] == [
        "generated petstore from petstore.yaml into gen/petstore",
        "warning",
        "generated warned from warned.yaml into gen/warned",
    ], f"a warning is a whole line of its own, the progress line gone; paths relative to the working folder: {shown}"
    assert shown[1].startswith(f"warning: {work / 'warned.yaml'}#/paths/~1events/get/responses/200/content/application~1xml: "), shown


def test_quiet_on_a_terminal_prints_nothing(work: Path) -> None:
    code, terminal, stdout = on_terminal("-q", "generate", "warned.yaml", "-o", "out", cwd=work, env={DELAY_VARIABLE: "0"})
    assert code == 0, terminal
    assert (terminal, stdout) == ("", ""), "-q: errors only, no progress, no warnings, no summary"


def test_errors_on_a_terminal_are_whole_lines(work: Path) -> None:
    code, terminal, _ = on_terminal("generate", "invalid.yaml", "-o", "out", cwd=work, env={DELAY_VARIABLE: "0"})
    assert code == 1, terminal
    assert screen(terminal) == [
        (
            "error: invalid.yaml#/paths/~1a/get/responses/200/content/application~1json/schema/$ref: "
            "reference '#/components/schemas/Nope' points at nothing (define the target or fix the pointer)"
        ),
        (
            "error: invalid.yaml#/paths/~1b/get/responses/200/content/application~1json/schema/$ref: "
            "reference '#/components/schemas/Gone' points at nothing (define the target or fix the pointer)"
        ),
    ], f"the progress line is erased before the errors: {terminal!r}"


def test_no_progress_when_stderr_is_not_a_terminal(work: Path) -> None:
    env = {DELAY_VARIABLE: "0"}
    result = subprocess.run(
        [sys.executable, "-m", "generator", "generate", "petstore.yaml", "-o", "out", "--package-name", "petstore"],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONDONTWRITEBYTECODE": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, explain(result)
    assert "\r" not in result.stderr and "stage" not in result.stderr, f"no progress into a pipe or a log:{explain(result)}"
    [summary] = result.stderr.splitlines()
    assert summary.startswith(f"generated petstore from petstore.yaml into out ({len(snapshot(work / 'out'))} written, "), explain(result)


def test_check_on_a_terminal_shows_progress_too(work: Path) -> None:
    configure(work, "petstore")
    assert clientsmith("-q", "generate", cwd=work).returncode == 0
    code, terminal, _ = on_terminal("check", "--no-cache", cwd=work, env={DELAY_VARIABLE: "0"})
    assert code == 0, terminal
    assert "\rpetstore: format, stage 6/7, " in terminal and "write, stage" not in terminal, "check writes nothing"
    assert screen(terminal) == [f"ok: {work / 'gen/petstore'}"], terminal
    # With the regeneration cache, the client generate just wrote is recognised without a stage.
    code, terminal, _ = on_terminal("check", cwd=work, env={DELAY_VARIABLE: "0"})
    assert code == 0 and "stage" not in terminal, terminal
    assert screen(terminal) == [f"ok: {work / 'gen/petstore'} (up to date)"], terminal


# --- generate --format json -------------------------------------------------------------------


def summary_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, explain(result)
    summary: dict[str, Any] = json.loads(result.stdout)
    assert set(summary) == {"clients", "seconds"}, summary
    assert isinstance(summary["seconds"], float) and summary["seconds"] > 0, summary
    for client in summary["clients"]:
        assert set(client) == {"package", "spec", "output", "version", "written", "unchanged", "deleted", "seconds", "warnings", "skipped", "cache"}, client
        assert client["cache"] is None or set(client["cache"]) == {"hits", "misses"}, client
        assert isinstance(client["seconds"], float) and 0 < client["seconds"] <= summary["seconds"], summary
    return summary


def test_json_summary_of_a_first_generation_and_of_a_second(work: Path) -> None:
    first = summary_of(clientsmith("generate", "petstore.yaml", "-o", "out", "--package-name", "petstore", "--format", "json", cwd=work))
    assert first == {
        "clients": [
            {
                "package": "petstore",
                "spec": "petstore.yaml",
                "output": "out",
                "version": json.loads((work / "out" / write.MANIFEST).read_text("utf-8"))["version"],
                "written": sorted(snapshot(work / "out")),
                "unchanged": [],
                "deleted": [],
                "seconds": first["clients"][0]["seconds"],
                "warnings": 0,
                "skipped": False,
                "cache": first["clients"][0]["cache"],  # hits depend on what earlier tests stored
            }
        ],
        "seconds": first["seconds"],
    }
    assert first["clients"][0]["version"].startswith("1.0.0+clientsmith."), first

    second = clientsmith("generate", "petstore.yaml", "-o", "out", "--package-name", "petstore", "--format", "json", cwd=work)
    client = summary_of(second)["clients"][0]
    assert (client["written"], client["unchanged"], client["deleted"]) == ([], sorted(snapshot(work / "out")), []), client
    assert client["skipped"] is True and client["cache"] == {"hits": 1, "misses": 0}, "an unchanged client is skipped (its run record found)"
    assert second.stderr == "", f"with --format json the summary is the JSON, stderr keeps warnings and errors only:{explain(second)}"


def test_json_summary_names_written_and_deleted_files(work: Path) -> None:
    assert clientsmith("-q", "generate", "petstore.yaml", "-o", "out", "--package-name", "petstore", cwd=work).returncode == 0
    (work / "petstore.yaml").write_text(PETSTORE.lstrip().replace("tags: [pets]", "tags: [animals]"), "utf-8")
    client = summary_of(clientsmith("generate", "petstore.yaml", "-o", "out", "--package-name", "petstore", "--format", "json", cwd=work))["clients"][0]
    assert "petstore/resources/animals.py" in client["written"] and client["deleted"] == ["petstore/resources/pets.py"], client
    on_disk = sorted(snapshot(work / "out"))
    assert sorted(client["written"] + client["unchanged"]) == on_disk, "every file is written or unchanged"


def test_json_summary_counts_warnings_also_with_quiet(work: Path) -> None:
    configure(work, "warned", "petstore")
    result = clientsmith("generate", "--format", "json", cwd=work)
    clients = summary_of(result)["clients"]
    assert [(c["package"], c["spec"], c["output"], c["warnings"]) for c in clients] == [
        ("warned", str(work / "warned.yaml"), str(work / "gen/warned"), 1),
        ("petstore", str(work / "petstore.yaml"), str(work / "gen/petstore"), 0),
    ], "configured clients, in order, with the paths the configuration resolves to"
    assert result.stderr.startswith(f"warning: {work / 'warned.yaml'}#/paths/~1events/") and len(result.stderr.splitlines()) == 1, explain(result)

    quiet = clientsmith("-q", "generate", "--format", "json", cwd=work)
    assert [c["warnings"] for c in summary_of(quiet)["clients"]] == [1, 0], "-q hides warnings, the summary still counts them"
    assert quiet.stderr == "", explain(quiet)


def test_json_on_failure_prints_no_summary(work: Path) -> None:
    result = clientsmith("generate", "invalid.yaml", "-o", "out", "--format", "json", cwd=work)
    assert result.returncode == 1, explain(result)
    assert result.stdout == "", f"a failed run has no summary; the exit code and the error lines say why:{explain(result)}"
    assert result.stderr.startswith("error: invalid.yaml#/"), explain(result)


def test_unknown_format_is_a_usage_error(work: Path) -> None:
    result = clientsmith("generate", "petstore.yaml", "-o", "out", "--format", "yaml", cwd=work)
    assert result.returncode == 2, explain(result)
    assert result.stderr.strip() == "error: --format must be one of text, json, not 'yaml'", explain(result)
    assert not (work / "out").exists()
