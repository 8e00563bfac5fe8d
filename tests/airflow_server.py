"""A real Apache Airflow API server on 127.0.0.1 for tests/test_airflow_live.py.

Airflow runs from its own virtualenv (tests/airflow/requirements.lock, built
once and cached by tests/venvs.py) with a fresh ``AIRFLOW_HOME`` per test
session: SQLite, the simple auth manager with an ``admin`` and a read-only
``viewer`` user (passwords in a file, never the all-admins mode, which would
make every request an admin's), connection testing enabled. ``airflow api-server``
runs in its own process group and is stopped by killing that group.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.servers import free_port, stop_group
from tests.venvs import ROOT, VenvError, cached_venv, run

LOCK = ROOT / "tests" / "airflow" / "requirements.lock"
USERS = {"admin": "admin", "viewer": "viewer"}  # user name -> simple auth manager role


def pinned_version() -> str:
    match = re.search(r"^apache-airflow==(\S+)", LOCK.read_text("utf-8"), re.MULTILINE)
    assert match, f"{LOCK} pins no apache-airflow"
    return match.group(1)


@dataclass
class Timings:
    venv_seconds: float = 0.0
    venv_built: bool = False
    migrate_seconds: float = 0.0
    start_seconds: float = 0.0


@dataclass
class AirflowServer:
    home: Path
    port: int = field(default_factory=free_port)
    passwords: dict[str, str] = field(default_factory=lambda: {user: secrets.token_urlsafe(16) for user in USERS})
    timings: Timings = field(default_factory=Timings)
    process: subprocess.Popen[bytes] | None = None
    venv: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / "api-server.log"

    def environment(self) -> dict[str, str]:
        assert self.venv is not None
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "VIRTUAL_ENV", "PYTHONPATH"))}
        passwords_file = self.home / "simple_auth_manager_passwords.json"
        passwords_file.write_text(json.dumps(self.passwords))
        env.update(
            {
                "PATH": f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
                "VIRTUAL_ENV": str(self.venv),
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
                "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{user}:{role}" for user, role in USERS.items()),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
                "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            }
        )
        return env

    def start(self, *, health_timeout: float = 180.0) -> None:
        """Build (or reuse) the virtualenv, migrate a new SQLite database, start and wait for health."""
        started = time.monotonic()
        try:
            self.venv, self.timings.venv_built = cached_venv(f"airflow-{pinned_version()}", LOCK, compile_bytecode=True)
        except VenvError as error:
            raise RuntimeError(f"could not install Apache Airflow {pinned_version()} for the live tests: {error}") from error
        self.timings.venv_seconds = time.monotonic() - started
        airflow = str(self.venv / "bin" / "airflow")
        env = self.environment()

        started = time.monotonic()
        try:
            run([airflow, "db", "migrate"], what="airflow db migrate", timeout=600, env=env)
        except VenvError as error:
            raise RuntimeError(str(error)) from error
        self.timings.migrate_seconds = time.monotonic() - started

        started = time.monotonic()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [airflow, "api-server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.home,
                env=env,
            )
        deadline = time.monotonic() + health_timeout
        with httpx.Client(timeout=5.0, trust_env=False) as http:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"airflow api-server exited with code {self.process.returncode} before it was healthy:\n{self.log_tail()}")
                try:
                    health = http.get(f"{self.url}/api/v2/monitor/health")
                    if health.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"airflow api-server was not healthy on {self.url} within {health_timeout:.0f} s:\n{self.log_tail()}")
                time.sleep(0.2)
        self.timings.start_seconds = time.monotonic() - started

    def token(self, user: str) -> str:
        """A JWT from ``POST /auth/token`` (the simple auth manager's password login)."""
        with httpx.Client(base_url=self.url, timeout=30.0, trust_env=False) as http:
            response = http.post("/auth/token", json={"username": user, "password": self.passwords[user]})
        assert response.status_code in (200, 201), f"POST /auth/token for {user}: HTTP {response.status_code} {response.text}"
        token = response.json()["access_token"]
        assert isinstance(token, str) and token.count(".") == 2, f"not a JWT: {token!r}"
        return token

    def log_tail(self, size: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-size:] if self.log.is_file() else "(no log)"

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)
            self.process = None
