"""The progress line ``generate`` and ``check`` draw on a terminal.

The pipeline only says which stage starts (``progress`` callbacks, see
:data:`generator.pipeline.STAGES`); :class:`ProgressLine` turns that into one stderr line,
rewritten in place with ``\\r`` and blanks (no escape sequences, so it works on any
terminal), e.g.::

    stripe_client: models, stage 4/7, 9.3 s

It appears once the run has taken ``delay`` seconds, so quick runs print nothing of it;
a ticker thread redraws it every ``interval`` seconds, so the seconds keep moving during a
long stage (Stripe's models take ~10 s). Other stderr lines (warnings, the summary of each
client) go through :meth:`ProgressLine.print`, which erases the line first. The command line
makes one only when stderr is a terminal and ``--quiet`` is off; nothing of it ever reaches
the generated files.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self, TextIO

#: Seconds a run may take before the line appears; ``CLIENTSMITH_PROGRESS_DELAY`` overrides it
#: (``0``: from the start).
DEFAULT_DELAY = 1.0
DELAY_VARIABLE = "CLIENTSMITH_PROGRESS_DELAY"


def delay_from_environment() -> float:
    """``CLIENTSMITH_PROGRESS_DELAY`` in seconds, or :data:`DEFAULT_DELAY` when unset or not a number >= 0."""
    try:
        value = float(os.environ.get(DELAY_VARIABLE, ""))
    except ValueError:
        return DEFAULT_DELAY
    return value if value >= 0 else DEFAULT_DELAY


def terminal_width(stream: TextIO) -> int:
    """Columns of the terminal ``stream`` writes to; 80 when it does not say (a new pty reports 0)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        columns = 0
    return columns if columns > 0 else 80


class ProgressLine:
    """One self-updating stderr line for a run over one or more clients (a context manager)."""

    def __init__(
        self,
        stream: TextIO,
        stages: tuple[str, ...],
        *,
        delay: float = DEFAULT_DELAY,
        interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        width: Callable[[], int] | None = None,
    ) -> None:
        self._stream = stream
        self._stages = stages
        self._delay = delay
        self._interval = interval
        self._clock = clock
        self._width = width or (lambda: terminal_width(stream))
        self._lock = threading.Lock()
        self._run_started = clock()
        self._label: str | None = None
        self._stage: str | None = None
        self._client_started = 0.0
        self._shown = ""  # the line now on screen
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def client(self, label: str) -> Callable[[str], None]:
        """Start a client (``label``, e.g. ``stripe_client`` or ``codat (2/5)``); returns the pipeline's ``progress`` callback."""
        with self._lock:
            self._label = label
            self._stage = None
            self._client_started = self._clock()
        if self._ticker is None and self._interval > 0:
            self._ticker = threading.Thread(target=self._tick, name="clientsmith-progress", daemon=True)
            self._ticker.start()
        return self._enter_stage

    def done(self) -> None:
        """The current client is finished: erase the line until the next one starts."""
        with self._lock:
            self._erase()
            self._label = None
            self._stage = None

    def print(self, message: str) -> None:
        """Print a whole line above the progress line."""
        with self._lock:
            self._erase()
            self._stream.write(message + "\n")
            self._draw()

    def close(self) -> None:
        """Stop the ticker and erase the line."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        with self._lock:
            self._erase()
            self._label = None

    def _enter_stage(self, stage: str) -> None:
        with self._lock:
            self._stage = stage
            self._draw()

    def _tick(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                self._draw()

    def _text(self) -> str:
        stage = self._stage or "starting"
        position = f", stage {self._stages.index(stage) + 1}/{len(self._stages)}" if stage in self._stages else ""
        return f"{self._label}: {stage}{position}, {self._clock() - self._client_started:.1f} s"

    def _draw(self) -> None:  # the lock is held
        if self._label is None or self._clock() - self._run_started < self._delay:
            return
        text = self._text()[: max(self._width() - 1, 0)]
        if text != self._shown:  # the ticker redraws only when the tenths moved
            self._stream.write("\r" + text.ljust(len(self._shown)))
            self._stream.flush()
            self._shown = text

    def _erase(self) -> None:  # the lock is held
        if self._shown:
            self._stream.write("\r" + " " * len(self._shown) + "\r")
            self._stream.flush()
            self._shown = ""
