"""The runtime inside the sandbox: run a submission's cells and the assignment's probes, one request at a time.

The child is the student's: once the first cell has run, everything in this process may be theirs. So
it is given nothing worth stealing. The parent sends each request only when it wants that item done —
``setup`` (the cells' seed, the probes' code), then each ``cell``, then each ``probe`` with the inputs
and seed of that probe alone — and the child answers each with one event, tagged with the request's
ticket, on its own pipe. The child never holds an expected value, the run's seed, another job or the
next item before it is asked for; the parent judges everything outside. Depends on the standard
library, NumPy, TensorFlow and the sibling ``wire`` module only.
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

import wire  # sibling module; this file runs inside the sandbox

CELL_OUTPUT_CAP = 8_000
TOTAL_OUTPUT_CAP = 60_000
TRACEBACK_CAP = 4_000


class ProbeError(Exception):
    """Raised by a probe when the submission lacks what the probe needs (a name, a shape...)."""


class EventChannel:
    """One JSON line per event on the child's own event pipe, written out at once: a submission that kills
    its own process still leaves every answer it gave before."""

    def __init__(self, fd: int):
        self.fd = fd

    def emit(self, **event) -> None:
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
    try:
        tb = traceback.TracebackException.from_exception(exc, capture_locals=False)
        message = str(exc)
    except BaseException:  # an exception whose __str__ raises is still an exception
        return {"type": type(exc).__name__[:100], "message": "(its message could not be read)", "traceback": ""}
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
    # No Grappler graph rewriting: for these small networks it costs more than it saves (each new Keras
    # model's train and test functions are optimised on first call). Measured with benchmarks/class_time.py
    # (20 students x 5): iris -9 %, xor -15 %, mnist unchanged, the class -7.6 %. The student and the
    # reference run the same unrewritten graphs.
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
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
        value = fn(*args)
        if value is None:
            raise ProbeError(f"{function}() returned None: not implemented yet (is its # TODO still there?)")
        results.append(to_numpy(value))
    return results


def load_probes(source: str) -> dict:
    namespace = {"__name__": "probes", "ProbeError": ProbeError, "require": require,
                 "to_numpy": to_numpy, "call_each": call_each}
    linecache.cache["<probes>"] = (len(source), None, source.splitlines(True), "<probes>")
    exec(compile(source, "<probes>", "exec"), namespace)
    return namespace


class Session:
    """One submission's namespace and the handlers for the parent's requests."""

    def __init__(self, channel: EventChannel):
        self.channel = channel
        self.namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
        self.stub = IPythonStub(self.namespace)
        self.namespace["get_ipython"] = lambda: self.stub
        self.probes: dict = {}
        self.total_output = CappedText(TOTAL_OUTPUT_CAP)

    def setup(self, request: dict) -> None:
        environment = configure_tensorflow(int(request["seed"]))
        trust_provided_files(request.get("trusted_files", []))
        self.probes = load_probes(request.get("probes_source", ""))
        self.channel.emit(event="hello", ticket=request["ticket"], **environment)

    def cell(self, request: dict) -> None:
        index = request["index"]
        self.stub.calls.clear()
        out = CappedText(min(CELL_OUTPUT_CAP, max(0, TOTAL_OUTPUT_CAP - self.total_output.kept)))
        status, error = "ok", None
        started = time.perf_counter()
        filename = f"<cell {index}>"
        try:
            code = to_python(request["source"])
            linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
            compiled = compile(code, filename, "exec")
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                exec(compiled, self.namespace)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included: record, go on
            status, error = "error", describe_exception(exc)
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        text = out.getvalue()
        self.total_output.write(text)
        self.channel.emit(event="cell", ticket=request["ticket"], index=index, status=status, error=error,
                          output=text, magics=list(self.stub.calls), seconds=round(time.perf_counter() - started, 4))

    def probe(self, request: dict) -> None:
        started = time.perf_counter()
        sink = CappedText(CELL_OUTPUT_CAP)
        try:
            seed_everything(int(request.get("seed", 0)))
            function = self.probes[request["function"]]
            inputs = wire.decode(request.get("inputs") or {})
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                value = function(self.namespace, **inputs)
            answer = {"ok": True, "value": wire.encode(value), "error": None}
        except BaseException as exc:
            answer = {"ok": False, "value": None, "error": describe_exception(exc)}
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        self.channel.emit(event="observation", ticket=request["ticket"], name=request["name"],
                          seconds=round(time.perf_counter() - started, 4), **answer)


def serve(request_fd: int, event_fd: int) -> None:
    """Answer the parent's requests until it says ``finish`` or closes the pipe."""
    requests = io.BufferedReader(io.FileIO(request_fd, "rb", closefd=False))
    session = Session(EventChannel(event_fd))
    handlers = {"setup": session.setup, "cell": session.cell, "probe": session.probe}
    while True:
        line = requests.readline()
        if not line:
            return
        request = json.loads(line)
        if request.get("op") == "finish":
            return
        handlers[request["op"]](request)


def run_in_process(job: dict, emit) -> None:
    """The same handlers without a sandbox or pipes, for the benchmark's bare baseline: ``job`` holds
    ``seed``, ``cells`` and ``probes`` (each with its ``seed``) and ``probes_source``."""
    class Direct:
        def emit(self, **event):
            emit(event)

    session = Session(Direct())
    session.setup({"ticket": "", "seed": job["seed"], "probes_source": job["probes_source"]})
    for cell in job["cells"]:
        session.cell({"ticket": "", **cell})
    for probe in job["probes"]:
        session.probe({"ticket": "", **probe})
