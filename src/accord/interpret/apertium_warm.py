"""Warm Apertium pipelines: one long-lived process chain per mode, fed in null-flush mode.

Why: ``apertium -u PAIR`` starts a dozen programs and loads every transducer for each call
(≈ 290 ms p50 per sentence here). The same pipeline kept running answers in a few
milliseconds. Apertium supports this with *null flush*: every program of the mode gets ``-z``
and flushes its output when it reads a NUL byte. ``apertium-wblank-mode -z MODEFILE`` prints the
mode's pipeline with ``-z`` added to each program (an earlier attempt passed ``-z`` only to the
``apertium`` wrapper, whose deformatter does not know it, and hung).

The text deformatter/reformatter (``apertium-destxt``/``apertium-retxt``) have no null-flush
option, so their (small, documented) job is done here in Python: escape the stream's reserved
characters, turn line breaks into blanks, and undo both on the way out.

Robustness: each call holds the pipeline's lock (one request in flight per pipeline, so
threads never interleave), waits with a deadline, and on a time-out, a crash or a broken pipe
kills the whole process group; the next call starts a fresh pipeline.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

DEFAULT_TIMEOUT = 10.0
# Characters apertium-destxt escapes with a backslash (the stream format's reserved set).
_RESERVED = frozenset("\\[]$^<>/@{}")


class PipelineError(RuntimeError):
    """The warm pipeline failed or timed out; it has been stopped and will be restarted."""


def deformat(text: str) -> str:
    """Text → Apertium stream, as ``apertium-destxt -n`` does (line breaks become blanks)."""
    out: list[str] = []
    for char in text:
        if char in _RESERVED:
            out.append("\\" + char)
        elif char == "\n":
            out.append("[\n]")
        elif char == "\0":
            continue  # NUL is the flush marker; it never belongs to the text
        else:
            out.append(char)
    # destxt ends the stream with an empty blank and the final line break; without them the
    # morphological analyser holds the last token back waiting for more input.
    out.append("[][\n]")
    return "".join(out)


def reformat(stream: str) -> str:
    """Apertium stream → text, as ``apertium-retxt`` does: unescape and open the blanks."""
    out: list[str] = []
    i, n = 0, len(stream)
    while i < n:
        char = stream[i]
        if char == "\\" and i + 1 < n:
            out.append(stream[i + 1])
            i += 2
        elif char == "[":
            # A (super)blank: keep its content (escapes inside are literal characters);
            # "[[" opens a word-bound blank whose content is formatting, dropped for plain text.
            if stream.startswith("[[", i):
                end = stream.find("]]", i + 2)
                i = n if end < 0 else end + 2
                continue
            i += 1
            while i < n and stream[i] != "]":
                if stream[i] == "\\" and i + 1 < n:
                    i += 1
                out.append(stream[i])
                i += 1
            i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def pipeline_command(mode_file: Path) -> str:
    """The mode's shell pipeline with ``-z`` on every program (``apertium-wblank-mode -z``)."""
    tool = shutil.which("apertium-wblank-mode")
    if not tool:
        raise PipelineError("apertium-wblank-mode is not installed (apt-get install apertium)")
    done = subprocess.run(  # noqa: S603 - fixed program, mode file from the installed set
        [tool, "-z", str(mode_file)], capture_output=True, text=True, timeout=10, check=False
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise PipelineError(f"apertium-wblank-mode failed for {mode_file.name}")
    return done.stdout.strip()


class WarmPipeline:
    """One running null-flush pipeline for an Apertium mode (thread-safe, self-restarting)."""

    def __init__(self, mode_file: Path, *, mark_unknown: bool = False) -> None:
        self.mode_file = mode_file
        self.mark_unknown = mark_unknown
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    # -- life cycle ------------------------------------------------------------------------
    def _start(self) -> subprocess.Popen[bytes]:
        command = pipeline_command(self.mode_file)
        # $1: generator option (-n: no '*' marks on unknown words, as `apertium -u`);
        # $2: tagger option (none).
        proc = subprocess.Popen(  # noqa: S603 - bash runs the installed mode's pipeline
            ["bash", "-c", command, "apertium", "-g" if self.mark_unknown else "-n", ""],  # noqa: S607
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )
        self.starts += 1
        return proc

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def close(self) -> None:
        with self._lock:
            self._kill()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- translation -----------------------------------------------------------------------
    def translate(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Translate ``text`` (plain text, any number of lines) through the warm pipeline."""
        payload = deformat(text).encode("utf-8") + b"\0"
        with self._lock:
            if not self.running:
                self._kill()
                self._proc = self._start()
            proc = self._proc
            assert proc is not None and proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(payload)
                proc.stdin.flush()
                raw = self._read_until_nul(proc, time.monotonic() + timeout)
            except (OSError, PipelineError) as error:
                self._kill()
                if isinstance(error, PipelineError):
                    raise
                raise PipelineError(f"apertium {self.mode_file.stem} pipeline broke") from None
        text_out = reformat(raw.decode("utf-8", "replace"))
        return text_out[:-1] if text_out.endswith("\n") else text_out

    def _read_until_nul(self, proc: subprocess.Popen[bytes], deadline: float) -> bytes:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        chunks: list[bytes] = []
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise PipelineError(f"apertium {self.mode_file.stem} timed out")
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise PipelineError(f"apertium {self.mode_file.stem} pipeline exited")
                end = chunk.find(b"\0")
                if end >= 0:
                    chunks.append(chunk[:end])
                    # Anything after the NUL would belong to no request: the protocol is
                    # strictly one request in flight, so there is none.
                    return b"".join(chunks)
                chunks.append(chunk)


class WarmPool:
    """Warm pipelines by mode name, created on first use and shared by every thread."""

    def __init__(self, modes_dir: Path) -> None:
        self.modes_dir = modes_dir
        self._lock = threading.Lock()
        self._pipelines: dict[str, WarmPipeline] = {}

    def get(self, mode: str) -> WarmPipeline:
        with self._lock:
            pipeline = self._pipelines.get(mode)
            if pipeline is None:
                pipeline = WarmPipeline(self.modes_dir / f"{mode}.mode")
                self._pipelines[mode] = pipeline
            return pipeline

    def translate(self, mode: str, text: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        return self.get(mode).translate(text, timeout)

    def close(self) -> None:
        with self._lock:
            pipelines, self._pipelines = list(self._pipelines.values()), {}
        for pipeline in pipelines:
            pipeline.close()
