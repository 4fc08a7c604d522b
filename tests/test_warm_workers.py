"""Warm workers: TensorFlow imported once per worker, each submission still in its own forked process."""

from __future__ import annotations

import numpy as np
import pytest

from grader.sandbox import isolation
from grader.sandbox.launchers import FreshLauncher, WarmPool
from grader.sandbox.runner import Job, Limits, run_job

TRAIN = """
import tensorflow as tf
x = tf.Variable(10.0)
for _ in range(50):
    with tf.GradientTape() as tape:
        y = x * x - 4 * x + 4
    x.assign(x - 0.1 * tape.gradient(y, x))
model = tf.keras.Sequential([tf.keras.layers.Dense(3, activation="tanh"), tf.keras.layers.Dense(1)])
model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.1), loss="mse")
history = model.fit(tf.random.normal((16, 2)), tf.random.normal((16, 1)), epochs=3, batch_size=4, verbose=0)
"""
PROBES = "def observe(ns):\n    return {'x': ns['x'], 'weights': ns['model'].get_weights(), 'loss': ns['history'].history['loss']}\n"


def job(source: str, **limits) -> Job:
    return Job(cells=[{"index": 1, "source": source}], probes_source=PROBES,
               probes=[{"name": "observe", "function": "observe", "inputs": {}}], seed=11,
               limits=Limits(**limits) if limits else Limits())


def test_forked_children_compute_exactly_what_a_fresh_process_computes():
    fresh = run_job(job(TRAIN), FreshLauncher()).observations["observe"]
    with WarmPool(1) as pool:
        forked = [run_job(job(TRAIN), pool).observations["observe"] for _ in range(3)]
        assert pool.workers[0].starts == 1  # TensorFlow imported once for three submissions
    assert fresh.ok and all(o.ok for o in forked)
    for other in forked:
        assert other.value["x"] == fresh.value["x"]
        assert other.value["loss"] == fresh.value["loss"]
        for a, b in zip(other.value["weights"], fresh.value["weights"]):
            np.testing.assert_array_equal(a, b)


def test_nothing_of_one_submission_survives_into_the_next():
    leave_traces = ("import os, subprocess, sys\n"
                    "open('left-behind.txt', 'w').write('secret')\n"
                    "open('/tmp/left-behind.txt', 'w').write('secret')\n"
                    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True)\n"
                    "x = 1")
    look = ("import os, glob\n"
            "print(sorted(glob.glob('*') + glob.glob('/tmp/*')))\n"
            "print('sleepers', sum('time.sleep' in open(f'/proc/{p}/cmdline').read() "
            "for p in os.listdir('/proc') if p.isdigit() and os.path.exists(f'/proc/{p}/cmdline')))\n"
            "x = 2")
    with WarmPool(1) as pool:
        run_job(Job(cells=[{"index": 1, "source": leave_traces}], probes_source="", probes=[], seed=0), pool)
        record = run_job(Job(cells=[{"index": 1, "source": look}], probes_source="", probes=[], seed=0), pool)
    output = record.cells[1].output
    assert "left-behind" not in output
    if isolation.available_method() == "bubblewrap":  # its own pid namespace: leftovers are all killed
        assert "sleepers 0" in output


def test_a_hung_child_is_caught_by_the_watchdog_and_the_worker_restarts():
    with WarmPool(1) as pool:
        hung = run_job(job("import os\nos.write(1, b'before the loop\\n')\nwhile True:\n    pass", cell_s=3, total_s=20), pool)
        # busy: its own doing (on a machine so loaded that the loop itself looked starved, it is tried once more)
        assert hung.status == "timeout" and (hung.incidents[0].repeatable or len(hung.incidents) == 2)
        assert "before the loop" in hung.process_output  # a stopped attempt's output is kept
        after = run_job(job(TRAIN), pool)
        assert after.status == "completed" and after.observations["observe"].ok
        assert pool.workers[0].starts == 1  # the child was killed, its worker is fine and reused


@pytest.mark.slow
def test_only_what_the_submission_itself_did_is_taken_as_repeatable():
    # busy cells, then one that gets no CPU: from outside that looks like a process starved by the
    # machine's load, so its timeout must not be cached as the submission's result; and a SIGKILL may
    # be the host's OOM killer, under either launcher (bubblewrap relays it as exit code 137)
    busy_then_idle = Job(cells=[{"index": 1, "source": "import time\nt = time.time()\nwhile time.time() - t < 2.5:\n    pass"},
                                {"index": 2, "source": "time.sleep(60)"}],
                         probes_source="", probes=[], seed=0, limits=Limits(cell_s=3, total_s=30))
    killed = job("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", total_s=30)
    for launcher in (FreshLauncher(), WarmPool(1)):
        idle = run_job(busy_then_idle, launcher)
        assert idle.status == "timeout" and idle.incidents[0].item == "code cell 2"
        assert not idle.incidents[0].repeatable
        # tried once more before it costs the student anything (a starved process is not the student's doing)
        assert [i.item for i in idle.incidents] == ["code cell 2", "code cell 2"]
        gone = run_job(killed, launcher)
        assert "killed by SIGKILL" in gone.incidents[0].message and not gone.incidents[0].repeatable
        if isinstance(launcher, WarmPool):
            launcher.close()


def test_files_a_child_locks_vanish_with_it_and_the_worker_stays():
    locked = "import os\nos.makedirs('locked/inner')\nopen('locked/inner/plant.py', 'w').write('x')\nos.chmod('locked', 0o500)"
    look = "import os\nprint(sorted(os.listdir('.')))"
    with WarmPool(1) as pool:
        first = run_job(Job(cells=[{"index": 1, "source": locked}], probes_source="", probes=[], seed=0), pool)
        record = run_job(Job(cells=[{"index": 1, "source": look}], probes_source="", probes=[], seed=0), pool)
        assert "locked" not in record.cells[1].output
        if first.protections.private_scratch:  # its home was a tmpfs of its own: nothing to wipe, nothing to restart
            assert pool.workers[0].starts == 1


def test_a_child_can_neither_reach_the_worker_nor_answer_for_the_parent():
    attack = (
        "import json, os, time\n"
        "for fd in ('0', '3', '4', '5'):\n"
        "    try:\n        os.listdir(f'/proc/{os.getppid()}/fd'); print('ZYGOTE FDS OPEN')\n"
        "    except OSError as e:\n        print('zygote blocked')\n"
        "for fd in range(3, 40):\n"
        "    for event in ({'event': 'cell', 'ticket': 'guess', 'index': 1, 'status': 'ok', 'error': None,\n"
        "                   'output': 'forged', 'magics': [], 'seconds': 0},\n"
        "                  {'event': 'observation', 'ticket': 'guess', 'name': 'observe', 'ok': True, 'value': 1,\n"
        "                   'error': None, 'seconds': 0}):\n"
        "        try:\n            os.write(fd, (json.dumps(event) + '\\n').encode())\n"
        "        except OSError:\n            pass\n"
        "time.sleep(1)\n"
        "print('still running after the forged answers')")
    with WarmPool(1) as pool:
        record = run_job(Job(cells=[{"index": 1, "source": attack}], probes_source="", probes=[], seed=0), pool)
        assert record.status == "completed" and record.rejected_lines >= 1
        output = record.cells[1].output
        assert "ZYGOTE FDS OPEN" not in output and "zygote blocked" in output
        assert "still running after the forged answers" in output and "forged" not in output.replace("forged answers", "")
        assert run_job(job(TRAIN), pool).observations["observe"].ok and pool.workers[0].starts == 1


@pytest.mark.skipif(isolation.available_method() != "bubblewrap", reason="--die-with-parent is bubblewrap's")
def test_a_worker_started_by_a_thread_outlives_that_thread():
    # bubblewrap's --die-with-parent follows the thread that started it: a worker started from a grading
    # thread that then ended used to die with it, so the next grading run of a long-lived process (the
    # self-check server, a notebook calling grader.grade twice) paid TensorFlow's import again
    import threading
    import time

    with WarmPool(1) as pool:
        first = []
        starter = threading.Thread(target=lambda: first.append(run_job(job(TRAIN), pool)))
        starter.start()
        starter.join()
        time.sleep(1.0)  # PDEATHSIG is delivered when the thread exits; give a dying worker time to go
        worker = pool.workers[0]
        assert worker.proc is not None and worker.proc.poll() is None, "the worker died with its thread"
        second = run_job(job(TRAIN), pool)
        assert first[0].observations["observe"].ok and second.observations["observe"].ok
        assert worker.starts == 1  # the same worker served both: TensorFlow imported once
