"""``make setup`` (which ``make generate`` and every other target run first) prints a few lines.

What venv and pip print goes to ``$(VENV)-setup.log``; when a step fails, the end of that
log is shown with the step's name. The recipe runs here with a stand-in for ``python3``
(``PYTHON=...``, ``VENV=...`` on make's command line) that makes a "virtualenv" whose
``python`` prints pages of noise and records its arguments, so the test needs no network and
touches nothing in the repository. The steps themselves (recreate the venv, install the lock
with hashes, install clientsmith editable, ``pip check``) are checked from those records.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Stands in for python3: `FAKE -m venv DIR` makes DIR/bin/python, which logs its arguments to
# $FAKE_CALLS, prints 60 lines of noise on stdout and stderr, and fails when its arguments
# contain $FAKE_FAIL_ON.
FAKE_PYTHON = """#!/bin/sh
[ "$1 $2" = "-m venv" ] || { echo "unexpected: $*" >&2; exit 3; }
echo "venv $3" >>"$FAKE_CALLS"
mkdir -p "$3/bin"
cat >"$3/bin/python" <<'END'
#!/bin/sh
echo "python $*" >>"$FAKE_CALLS"
i=0
while [ $i -lt 30 ]; do
    echo "Collecting package-$i (noise)"
    echo "WARNING: Location 'file:///opt/x/simple/package-$i/' is ignored (noise)" >&2
    i=$((i + 1))
done
case "$*" in
    *"$FAKE_FAIL_ON"*) echo "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE." >&2; exit 1;;
esac
END
chmod +x "$3/bin/python"
"""


def make_setup(tmp_path: Path, fail_on: str = "no such argument") -> tuple[subprocess.CompletedProcess[str], list[str]]:
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_PYTHON, "utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    calls = tmp_path / "calls.txt"
    calls.touch()
    # Run as a top-level make even under `make test` (a sub-make prints "make[1]: ..." and reads MAKEFLAGS).
    inherited = {key: value for key, value in os.environ.items() if key not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES")}
    env = {**inherited, "FAKE_CALLS": str(calls), "FAKE_FAIL_ON": fail_on}
    result = subprocess.run(
        ["make", "--no-print-directory", "setup", f"PYTHON={fake}", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, calls.read_text("utf-8").splitlines()


@pytest.fixture(autouse=True)
def _make_exists() -> None:
    assert shutil.which("make") is not None, "make is needed (the README's first command)"


def test_setup_prints_two_lines_and_logs_the_rest(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "leftover").mkdir(parents=True)
    result, calls = make_setup(tmp_path)
    shown = (result.stdout + result.stderr).splitlines()
    assert result.returncode == 0, shown
    log = tmp_path / "venv-setup.log"
    assert shown == [
        f"setup: creating {venv} from requirements/dev.lock (1-2 minutes on a fresh machine; pip's output goes to {log})",
        f"setup: {venv} is ready",
    ], "set-up prints what it does, not pip's output"
    assert calls == [
        f"venv {venv}",
        "python -m pip install --require-hashes --no-deps -r requirements/dev.lock",
        "python -m pip install --no-deps --no-build-isolation -e .",
        "python -m pip check",
    ], "the venv is made, the lock installed with hashes, clientsmith installed editable, then pip check"
    text = log.read_text("utf-8")
    assert text.count("(noise)") == 3 * 60, "everything the two installs and pip check printed is in the log"
    assert f"\n$ {venv}/bin/python -m pip install --require-hashes --no-deps -r requirements/dev.lock\n" in text, "each step's command is logged"
    assert not (venv / "leftover").exists(), "the venv is recreated from nothing"
    assert (venv / ".installed-stamp").is_file()

    again, calls_again = make_setup(tmp_path)
    assert again.returncode == 0 and calls_again == calls, "an up-to-date venv is left alone"
    assert "setup:" not in again.stdout + again.stderr


def test_a_failed_step_shows_the_end_of_the_log(tmp_path: Path) -> None:
    result, calls = make_setup(tmp_path, fail_on="--require-hashes")
    assert result.returncode != 0
    log = tmp_path / "venv-setup.log"
    shown = result.stderr.splitlines()
    assert shown[-2] == f"make: installing requirements/dev.lock failed (the whole output: {log})", result.stderr
    assert shown[-1].startswith("make: *** ["), "then make's own line"
    assert "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE." in shown, "the failure's own lines are shown"
    assert len(shown) == 40 + 2, f"the last 40 lines of the log, not all of it, and the two make lines: {len(shown)} lines"
    assert calls[-1].startswith("python -m pip install --require-hashes"), "nothing runs after the failed step"
    assert not (tmp_path / "venv" / ".installed-stamp").exists(), "a failed set-up is redone next time"
