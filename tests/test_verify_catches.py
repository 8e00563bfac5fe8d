"""``clientsmith verify`` catches the defects it was built for.

Each test generates the coverage fixture's client, puts one known defect back into
the generated package (a few lines appended to its ``_runtime.py`` or ``models.py``
that undo a fix), and checks that ``clientsmith verify --output`` fails with the
right check at the right operation. If one of these passes although the defect is
back, verify has gone blind to it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator import pipeline

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "fixtures" / "coverage.yaml"
PACKAGE = "sabotaged_client"

WRAP_BUILD = """
_original_build = BaseClient._build


def _sabotaged_build(self: BaseClient, operation: Operation, **parts: Any) -> RawRequest:
    request = _original_build(self, operation, **parts)
    return _sabotage(request)


BaseClient._build = _sabotaged_build  # type: ignore[method-assign]
"""

SABOTAGES = {
    # defect 1: the masked secret is what gets sent
    "password masked": (
        WRAP_BUILD
        + """
def _sabotage(request: RawRequest) -> RawRequest:
    if request.content and b'"password"' in request.content:
        data = json.loads(request.content)
        data["password"] = "**********"
        return RawRequest(request.method, request.url, request.headers, json.dumps(data).encode())
    return request
""",
        "wire.login",
        "request",
    ),
    # defect 2: form arrays sent as JSON text
    "form arrays as JSON": (
        WRAP_BUILD
        + """
from urllib.parse import parse_qsl as _parse_qsl


def _sabotage(request: RawRequest) -> RawRequest:
    kinds = [value for name, value in request.headers if name.lower() == "content-type"]
    if request.content and kinds and kinds[0].startswith("application/x-www-form-urlencoded"):
        grouped: dict[str, list[str]] = {}
        for key, value in _parse_qsl(request.content.decode(), keep_blank_values=True):
            grouped.setdefault(key, []).append(value)
        pairs = [(k, v[0] if len(v) == 1 else json.dumps(v)) for k, v in grouped.items()]
        return RawRequest(request.method, request.url, request.headers, urlencode(pairs).encode())
    return request
""",
        "wire.submit_form",
        "request",
    ),
    # defect 6: Accept: application/json on every request
    "accept json only": (
        WRAP_BUILD
        + """
def _sabotage(request: RawRequest) -> RawRequest:
    headers = [(n, "application/json" if n.lower() == "accept" else v) for n, v in request.headers]
    return RawRequest(request.method, request.url, headers, request.content)
""",
        "wire.stream_events",
        "request",
    ),
    # defect 7: a path with a query string gets a second "?"
    "second question mark": (
        WRAP_BUILD
        + """
def _sabotage(request: RawRequest) -> RawRequest:
    if "?beta=true&" in request.url:
        return RawRequest(request.method, request.url.replace("?beta=true&", "?beta=true?", 1), request.headers, request.content)
    if request.url.endswith("?beta=true"):
        return RawRequest(request.method, request.url + "?x=1", request.headers, request.content)
    return request
""",
        "wire.beta_thing",
        "request",
    ),
    # defect 18: the path key's #fragment ends up in the URL
    "fragment in url": (
        WRAP_BUILD
        + """
def _sabotage(request: RawRequest) -> RawRequest:
    if "/beta/" in request.url and "beta=true" not in request.url:
        return RawRequest(request.method, request.url + "#stream", request.headers, request.content)
    return request
""",
        "wire.beta_thing_stream",
        "request",
    ),
    # defect 9: closed enums, so one new value from a server breaks the response
    "closed enums": (
        """
def _closed(cls: Any, value: object) -> Any:
    return None


for _enum_base in (OpenEnum, OpenStrEnum, OpenIntEnum):
    _enum_base._missing_ = classmethod(_closed)  # type: ignore[method-assign,assignment]
""",
        "unicode_things_more.replace_thing",
        "compat",
    ),
    # Stripe's post_files, found by verify: multipart fields with an encoding style sent as
    # JSON or repeated parts instead of one text part per pair of that style (link[create])
    "multipart styles ignored": (
        """
_original_multipart = _multipart


def _multipart(fields: Any, boundary: str, parts: Any, drop_read_only: bool) -> Any:
    unstyled = {name: replace(part, style="") for name, part in parts.items()}
    return _original_multipart(fields, boundary, unstyled, drop_read_only)
""",
        "files.upload_file",
        "request",
    ),
    # defect 5: binary responses decoded as text and corrupted
    "binary decoded as text": (
        """
_original_decode = _decode


def _sabotaged_decode(type_: Any, content: bytes) -> Any:
    if type_ is bytes:
        return content.decode("utf-8", errors="replace").encode("utf-8")
    return _original_decode(type_, content)


_decode = _sabotaged_decode
""",
        "files.upload_file",
        "response",
    ),
}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clean") / PACKAGE
    pipeline.generate(SPEC, PACKAGE, folder, warn=lambda problem: None)
    return folder


def run_verify(folder: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "generator", "-q", "verify", str(SPEC), "--output", str(folder), "--examples", "10", "--seed", "2", *options]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False, timeout=900)


def sabotage(clean: Path, tmp_path: Path, file: str, code: str) -> Path:
    folder = tmp_path / PACKAGE
    subprocess.run(["cp", "-r", str(clean), str(folder)], check=True)
    target = folder / PACKAGE / file
    target.write_text(target.read_text(encoding="utf-8") + "\n" + textwrap.dedent(code), encoding="utf-8")
    return folder


def test_the_clean_client_verifies(clean: Path) -> None:
    done = run_verify(clean, "--no-mypy")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.parametrize("name", sorted(SABOTAGES))
def test_verify_catches(name: str, clean: Path, tmp_path: Path) -> None:
    code, operation, check = SABOTAGES[name]
    folder = sabotage(clean, tmp_path, "_runtime.py", code)
    done = run_verify(folder, "--no-mypy")
    assert done.returncode == 1, f"verify did not notice {name!r}:\n{done.stdout[-3000:]}{done.stderr[-2000:]}"
    failing = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert any(f": {operation}: {check}:" in line for line in failing), (
        f"verify failed, but not with {check} of {operation} for {name!r}:\n" + "\n".join(failing)
    )


def test_verify_catches_a_type_error(clean: Path, tmp_path: Path) -> None:
    folder = sabotage(clean, tmp_path, "models.py", 'BROKEN: int = "not an int"\n')
    done = run_verify(folder, "--examples", "1")
    assert done.returncode == 1, done.stdout[-3000:]
    assert "types (mypy --strict): FAIL" in done.stdout
    assert any("models.py" in line and "Incompatible types" in line for line in done.stdout.splitlines() if line.startswith("FAIL"))
