"""Work done in a forked child process, so one generation uses a second core.

Validation (stage 2) runs beside the IR and models (stages 3-4), and black's share of
formatting (stage 6) is split between processes; for a small spec, datamodel-code-generator
is imported in a child forked before the spec is loaded, which then builds the models
(:class:`Prepared`). A forked child starts in a few
milliseconds with the parent's memory (imported modules, the document): nothing is pickled
on the way in, only the result comes back, pickled through a pipe. A child that fails in
any way (an exception, a result that does not pickle, killed) returns nothing, and
:meth:`Forked.result` does the work in the calling process instead, so what a run produces
or raises is what a serial run would. Without ``os.fork`` (Windows), on one core, or with
``CLIENTSMITH_PROCESSES=1`` in the environment, everything runs in the calling process.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable
from typing import Any, Generic, NoReturn, TypeVar, cast

A = TypeVar("A")
T = TypeVar("T")

#: Environment variable that caps the processes one generation uses (``1``: no child).
PROCESSES_VARIABLE = "CLIENTSMITH_PROCESSES"


def processes() -> int:
    """How many processes (the calling one included) a stage may keep busy: the cores this
    process may run on, capped by ``CLIENTSMITH_PROCESSES``; 1 where ``os.fork`` is missing."""
    if not hasattr(os, "fork"):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    cap = os.environ.get(PROCESSES_VARIABLE, "").strip()
    if cap.isdigit() and int(cap) >= 1:
        cores = min(cores, int(cap))
    return max(cores, 1)


def _child_sends(writer: int, work: Callable[[], object]) -> NoReturn:
    """In a child: ``work()``'s result, pickled, into the pipe ``writer``; then the child ends
    (with status 1 if anything failed: the parent redoes the work and raises what it raises)."""
    try:
        payload = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(payload)
    except BaseException:  # noqa: BLE001 - see above
        os._exit(1)
    os._exit(0)


def _child_result(pid: int, payload: bytes) -> tuple[bool, Any]:
    """In the parent, once the child's pipe is read: (True, its result) if it ended well."""
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0 and payload:
        return True, pickle.loads(payload)  # written by our own child
    return False, None


class Forked(Generic[T]):
    """``function()`` started in a forked child when there is a core for it (``fork``)."""

    def __init__(self, function: Callable[[], T], *, fork: bool = True) -> None:
        self._function = function
        self._pid = 0
        self._reader = -1
        if not fork or processes() < 2:
            return
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns, never runs the parent's exit handlers
            os.close(reader)
            _child_sends(writer, function)
        os.close(writer)
        self._pid, self._reader = pid, reader

    def result(self) -> T:
        """The child's result, or ``function()`` run here if there is no child or it failed."""
        if self._pid:
            with os.fdopen(self._reader, "rb") as pipe:
                self._reader = -1
                payload = pipe.read()
            done, result = _child_result(self._pid, payload)
            self._pid = 0
            if done:
                return cast(T, result)
        return self._function()

    def cancel(self) -> None:
        """Stop the child, if there is one (the result is no longer wanted)."""
        if self._pid:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = 0
        if self._reader >= 0:
            os.close(self._reader)
            self._reader = -1


class Prepared(Generic[A, T]):
    """``function(argument)`` in a child forked before ``argument`` exists, which meanwhile runs
    ``prepare()`` (an import, say) on the other core.

    :meth:`run` sends the argument, pickled, and returns the child's result, or computes
    ``function(argument)`` here if there is no child or it failed, as :class:`Forked` does.
    The argument goes length first: children forked later by the caller hold copies of the
    pipe, so the end of the pipe cannot mark the end of the argument. :meth:`cancel` stops the
    child when the result is not wanted; after :meth:`run` it does nothing.
    """

    def __init__(self, prepare: Callable[[], object], function: Callable[[A], T]) -> None:
        self._function = function
        self._pid = 0
        self._writer = self._reader = -1
        if processes() < 2:
            return
        argument_reader, argument_writer = os.pipe()
        result_reader, result_writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns, never runs the parent's exit handlers
            os.close(argument_writer)
            os.close(result_reader)

            def work() -> T:
                prepare()
                with os.fdopen(argument_reader, "rb") as pipe:
                    size = int.from_bytes(pipe.read(8) or bytes(8), "big")
                    if not size:  # cancelled, or the caller is gone
                        os._exit(0)
                    argument: A = pickle.loads(pipe.read(size))  # written by our own parent
                return function(argument)

            _child_sends(result_writer, work)
        os.close(argument_reader)
        os.close(result_writer)
        self._pid, self._writer, self._reader = pid, argument_writer, result_reader

    def run(self, argument: A) -> T:
        """``function(argument)``: the child's result, or computed here."""
        if self._pid:
            payload = b""
            try:
                data = pickle.dumps(argument, protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(self._writer, "wb") as pipe:
                    self._writer = -1
                    pipe.write(len(data).to_bytes(8, "big") + data)
                with os.fdopen(self._reader, "rb") as pipe:
                    self._reader = -1
                    payload = pipe.read()
            except OSError:  # the child is gone (BrokenPipeError): do the work here
                payload = b""
            finally:
                self._close()
            done, result = _child_result(self._pid, payload)
            self._pid = 0
            if done:
                return cast(T, result)
        return self._function(argument)

    def cancel(self) -> None:
        """Stop the child, if there is one (the result is no longer wanted)."""
        if self._pid:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = 0
        self._close()

    def _close(self) -> None:
        for end in (self._writer, self._reader):
            if end >= 0:
                os.close(end)
        self._writer = self._reader = -1
