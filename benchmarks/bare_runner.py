"""Bare execution for the benchmark: import TensorFlow once, then run each job's cells and probes with
the sandbox runtime's own code, without sandbox, limits, retries or judge.

    bare_runner.py SPEC.json            every job in this one process (warm across submissions)
    bare_runner.py SPEC.json --fork     every job in a plain fork of this process (what isolation costs
                                        at the least: a fresh process that imported TensorFlow, no ops)
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "grader" / "sandbox"))

FORK = "--fork" in sys.argv
started = time.perf_counter()
import child  # noqa: E402
import zygote  # noqa: E402

zygote.preload()  # imports only: a process that ran a TensorFlow op cannot fork usable children
if not FORK:
    child.configure_tensorflow(0)
import_s = time.perf_counter() - started
jobs = json.loads(Path(sys.argv[1]).read_text())
sink = os.open(os.devnull, os.O_WRONLY)
times, failed = [], []
for number, job in enumerate(jobs):
    if job["loops"]:  # the harness stops these after its cell limit; bare execution would never end
        job["cells"] = [c for c in job["cells"] if "while True" not in c["source"]]
    began = time.perf_counter()
    if FORK:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.dup2(sink, 1)
                child.run_in_process(job, lambda event: None)
                code = 0
            finally:
                os._exit(code)
        if os.waitpid(pid, 0)[1] != 0:
            failed.append(job["path"])
    else:
        child.run_in_process(job, lambda event: None)
    times.append(time.perf_counter() - began)
print(json.dumps({"import_s": import_s, "failed": failed,
                  "seconds": {job["path"]: t for job, t in zip(jobs, times)}}))
