"""Bare execution for the benchmark: import TensorFlow once, then run each job's cells and probes
in this process — the sandbox runtime's own code, without sandbox, fork, limits or judge."""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "grader" / "sandbox"))

started = time.perf_counter()
import child  # noqa: E402

child.configure_tensorflow(0)
import_s = time.perf_counter() - started
jobs = json.loads(Path(sys.argv[1]).read_text())
sink = os.open(os.devnull, os.O_WRONLY)
times = []
for number, job in enumerate(jobs):
    if job["loops"]:  # the harness stops these after its cell limit; bare execution would never end
        job["cells"] = [c for c in job["cells"] if "while True" not in c["source"]]
    job.update(event_fd=sink, nonce=str(number), trusted_files=[])
    began = time.perf_counter()
    child.run(job)
    times.append(time.perf_counter() - began)
print(json.dumps({"import_s": import_s, "seconds": {job["path"]: t for job, t in zip(jobs, times)}}))
