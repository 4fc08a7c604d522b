"""The runtime inside the sandbox: run a submission's cells, then observe it with the assignment's probes.

Started by the parent as ``python -E -s child.py`` with the job (JSON) on stdin and a pipe on the file
descriptor named in the job for events, one JSON object per line, flushed as they happen so that a
submission that kills its own process still leaves every observation made before it did. This process
holds no expected value and makes no judgement: it only reports what it saw. It depends on the standard
library, NumPy, TensorFlow and the sibling ``wire`` module, nothing from the grader package.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import linecache
import os
import sys
import time
import traceback
import warnings
import zlib

import wire  # sibling module; this file runs as a script inside the sandbox

CELL_OUTPUT_CAP = 8_000
TOTAL_OUTPUT_CAP = 60_000
TRACEBACK_CAP = 4_000


class ProbeError(Exception):
    """Raised by a probe when the submission lacks what the probe needs (a name, a shape...)."""


class EventChannel:
    """Events tagged with the job's nonce, so a warm worker's parent can drop anything stale."""

    def __init__(self, fd: int, nonce: str):
        self.fd, self.nonce = fd, nonce

    def emit(self, **event) -> None:
        event["job"] = self.nonce
        line = (json.dumps(event, allow_nan=False, separators=(",", ":")) + "\n").encode()
        view = memoryview(line)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]


class CappedText(io.TextIOBase):
    """A text stream that keeps the first ``cap`` characters and counts the rest."""

    def __init__(self, cap: int):
        self.cap, self.parts, self.kept, self.dropped = cap, [], 0, 0

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        room = self.cap - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def getvalue(self) -> str:
        value = "".join(self.parts)
        if self.dropped:
            value += f"\n[... {self.dropped} more characters of output not kept ...]"
        return value


class IPythonStub:
    """Stands in for ``get_ipython()``: magics and shell escapes are recorded, never executed."""

    BODY_MAGICS = {"time", "timeit", "capture", "prun"}  # cell magics whose body is plain Python

    def __init__(self, namespace: dict):
        self.namespace, self.calls = namespace, []

    def run_line_magic(self, name, line, *args, **kwargs):
        self.calls.append(f"%{name} {line}".strip())

    def run_cell_magic(self, name, line, body, *args, **kwargs):
        if name in self.BODY_MAGICS:
            self.calls.append(f"%%{name} (body run as plain Python, magic ignored)")
            exec(compile(body, "<cell magic>", "exec"), self.namespace)
        else:
            self.calls.append(f"%%{name} {line}".strip())

    def system(self, command, *args, **kwargs):
        self.calls.append(f"!{command}")

    def getoutput(self, command, *args, **kwargs):
        self.calls.append(f"!{command}")
        return []

    def __getattr__(self, name):
        def ignored(*args, **kwargs):
            self.calls.append(f"get_ipython().{name}(...)")
        return ignored


def to_python(source: str) -> str:
    """Rewrite IPython syntax (%magic, !shell) into calls on the stub, using IPython's own transformer."""
    if "%" not in source and "!" not in source and "?" not in source:
        return source
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def describe_exception(exc: BaseException) -> dict:
    """Type, message and a traceback trimmed to the submission's own frames."""
    tb = traceback.TracebackException.from_exception(exc, capture_locals=False)
    lines, hidden = [], 0
    for frame in tb.stack:
        if frame.filename.startswith("<cell"):
            if hidden:
                lines.append(f"  [... {hidden} frames inside libraries ...]\n")
                hidden = 0
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n')
            if frame.line:
                lines.append(f"    {frame.line.strip()}\n")
        elif frame.filename == "<probes>":
            continue
        else:
            hidden += 1
    if hidden:
        lines.append(f"  [... {hidden} frames inside libraries ...]\n")
    message = str(exc)
    text = "Traceback (most recent call last):\n" + "".join(lines)
    text += "".join(tb.format_exception_only())
    if len(text) > TRACEBACK_CAP:
        text = text[: TRACEBACK_CAP // 2] + "\n[...]\n" + text[-TRACEBACK_CAP // 2:]
    return {"type": type(exc).__name__, "message": message[:2000], "traceback": text}


def seed_everything(seed: int) -> None:
    import keras

    keras.utils.set_random_seed(seed % (2**31))


def configure_tensorflow(seed: int) -> dict:
    started = time.perf_counter()
    import numpy as np  # noqa: F401  (imported before TF so import time is TF's own)
    import tensorflow as tf
    import keras

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.experimental.enable_op_determinism()
    seed_everything(seed)
    import matplotlib

    matplotlib.use("Agg")
    warnings.filterwarnings("ignore", message=".*non-interactive.*")
    warnings.filterwarnings("ignore", category=UserWarning, module="keras")
    return {
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
        "python_version": sys.version.split()[0],
        "import_seconds": round(time.perf_counter() - started, 3),
    }


def trust_provided_files(paths: list[str]) -> None:
    """Let Keras use the data files the parent verified, even when their bytes are a re-packed copy."""
    if not paths:
        return
    from keras.src.utils import file_utils

    trusted = {os.path.realpath(p) for p in paths}
    original = file_utils.validate_file

    def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
        return os.path.realpath(fpath) in trusted or original(fpath, file_hash, algorithm, chunk_size)

    file_utils.validate_file = validate_file


def run_cells(job: dict, namespace: dict, channel: EventChannel) -> None:
    total = CappedText(TOTAL_OUTPUT_CAP)
    stub = namespace["get_ipython"]()
    for cell in job["cells"]:
        index = cell["index"]
        if index in job.get("skip_cells", []):
            continue
        channel.emit(event="cell_start", index=index, t=time.time())
        stub.calls.clear()
        out = CappedText(min(CELL_OUTPUT_CAP, max(0, TOTAL_OUTPUT_CAP - total.kept)))
        status, error = "ok", None
        started = time.perf_counter()
        filename = f"<cell {index}>"
        try:
            code = to_python(cell["source"])
            linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
            compiled = compile(code, filename, "exec")
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                exec(compiled, namespace)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included: record, go on
            status, error = "error", describe_exception(exc)
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        text = out.getvalue()
        total.write(text)
        channel.emit(event="cell_end", index=index, status=status, error=error, output=text,
                     magics=list(stub.calls), seconds=round(time.perf_counter() - started, 4))


def require(namespace: dict, name: str, kind: str = "a function"):
    """The student's ``name``, or a ProbeError saying it is missing."""
    if name not in namespace:
        raise ProbeError(f"{name} is not defined: the template asks for {kind} called {name}")
    value = namespace[name]
    if kind == "a function" and not callable(value):
        raise ProbeError(f"{name} should be a function, but it is {type(value).__name__}")
    return value


def to_numpy(value):
    import numpy as np

    if hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()
    if isinstance(value, (list, tuple)):
        return [to_numpy(v) for v in value]
    return np.asarray(value)


def call_each(namespace: dict, function: str, cases: list, tensors: bool = True) -> list:
    """Call the student's ``function`` on each case (a list of arguments); arrays become tf constants."""
    import numpy as np
    import tensorflow as tf

    fn = require(namespace, function)
    results = []
    for args in cases:
        args = [tf.constant(a) if tensors and isinstance(a, np.ndarray) else a for a in args]
        results.append(to_numpy(fn(*args)))
    return results


def load_probes(source: str) -> dict:
    namespace = {"__name__": "probes", "ProbeError": ProbeError, "require": require,
                 "to_numpy": to_numpy, "call_each": call_each}
    linecache.cache["<probes>"] = (len(source), None, source.splitlines(True), "<probes>")
    exec(compile(source, "<probes>", "exec"), namespace)
    return namespace


def run_probes(job: dict, namespace: dict, channel: EventChannel) -> None:
    probes = load_probes(job["probes_source"])
    skip = set(job.get("skip_probes", []))
    for probe in job["probes"]:
        name = probe["name"]
        if name in skip:
            continue
        channel.emit(event="probe_start", name=name, t=time.time())
        started = time.perf_counter()
        sink = CappedText(CELL_OUTPUT_CAP)
        try:
            seed_everything(job["seed"] + zlib.crc32(name.encode()))
            function = probes[probe["function"]]
            inputs = wire.decode(probe.get("inputs") or {})
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                value = function(namespace, **inputs)
            observation = {"ok": True, "value": wire.encode(value)}
        except BaseException as exc:
            observation = {"ok": False, "error": describe_exception(exc)}
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        channel.emit(event="observation", name=name, seconds=round(time.perf_counter() - started, 4),
                     **observation)


def run(job: dict) -> None:
    """Run one job to the end; the caller exits the process afterwards."""
    channel = EventChannel(job["event_fd"], job["nonce"])
    environment = configure_tensorflow(job["seed"])
    trust_provided_files(job.get("trusted_files", []))
    channel.emit(event="hello", **environment)
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    stub = IPythonStub(namespace)
    namespace["get_ipython"] = lambda: stub
    if job.get("run_cells", True):
        run_cells(job, namespace, channel)
    run_probes(job, namespace, channel)
    channel.emit(event="done")


def main() -> None:
    job = json.loads(sys.stdin.buffer.read())
    sys.stdin = open(os.devnull)
    run(job)
    os._exit(0)  # skip atexit handlers a submission may have registered


if __name__ == "__main__":
    main()
