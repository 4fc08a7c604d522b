"""The gradebook: one SQLite file that remembers the course across runs.

It holds the course seed (drawn once, never written where students read), the roster, every grading
attempt of every submission (content hash, time, seed, versions, per-check scores and messages, status,
the whole result) and which attempt counts, the instructor's overrides and the runs themselves.

Concurrency: every write is one short ``BEGIN IMMEDIATE`` transaction in WAL mode with a busy timeout,
so two ``grader grade`` runs on one gradebook serialise their writes and never see half of the other's.
Each attempt is committed the moment its submission is judged: a run killed with ``kill -9`` loses at
most the submissions that were still running.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import threading
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..results import SubmissionResult
from ..sandbox import procfs

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS students (
    id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '',
    lms_id TEXT NOT NULL DEFAULT '', sis_id TEXT NOT NULL DEFAULT '', section TEXT NOT NULL DEFAULT '',
    on_roster INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, state TEXT NOT NULL,
    pid INTEGER, host TEXT, command TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id), student TEXT NOT NULL, assignment TEXT NOT NULL,
    path TEXT NOT NULL, content_hash TEXT NOT NULL, fingerprint TEXT NOT NULL, seed TEXT NOT NULL,
    graded_at TEXT NOT NULL, versions TEXT NOT NULL, status TEXT NOT NULL, score REAL, max_score REAL NOT NULL,
    result BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_by_submission ON attempts (student, assignment);
CREATE TABLE IF NOT EXISTS check_scores (
    attempt_id INTEGER NOT NULL REFERENCES attempts(id), name TEXT NOT NULL, status TEXT NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, visibility TEXT NOT NULL, message TEXT NOT NULL,
    PRIMARY KEY (attempt_id, name));
CREATE TABLE IF NOT EXISTS current (
    student TEXT NOT NULL, assignment TEXT NOT NULL, attempt_id INTEGER NOT NULL REFERENCES attempts(id),
    PRIMARY KEY (student, assignment));
CREATE TABLE IF NOT EXISTS overrides (
    id INTEGER PRIMARY KEY, student TEXT NOT NULL, assignment TEXT NOT NULL, check_name TEXT,
    points REAL NOT NULL, reason TEXT NOT NULL, made_by TEXT NOT NULL, made_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1);
"""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _pack(result: SubmissionResult) -> bytes:
    return zlib.compress(json.dumps(result.to_dict()).encode(), 6)


def _unpack(blob: bytes) -> SubmissionResult:
    return SubmissionResult.from_dict(json.loads(zlib.decompress(blob)))


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    email: str = ""
    lms_id: str = ""
    sis_id: str = ""
    section: str = ""
    on_roster: bool = False


@dataclass(frozen=True)
class Attempt:
    id: int
    run_id: int | None
    student: str
    assignment: str
    path: str
    content_hash: str
    fingerprint: str
    seed: str
    graded_at: str
    status: str
    score: float | None
    max_score: float

    def result(self, book: "Gradebook") -> SubmissionResult:
        return book.attempt_result(self.id)


@dataclass(frozen=True)
class Override:
    id: int
    student: str
    assignment: str
    check: str | None  # None: the assignment's total
    points: float
    reason: str
    made_by: str
    made_at: str


class GradebookError(Exception):
    pass


class Gradebook:
    """One SQLite file; safe to share between threads of a run and between concurrent runs."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():  # it holds the course seed: the instructor's alone
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._local = threading.local()
        try:
            self._connection().executescript(SCHEMA)  # idempotent; executescript commits on its own
            with self.transaction() as db:
                found = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if found is None:
                    db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                elif int(found[0]) > SCHEMA_VERSION:
                    raise GradebookError(f"{self.path} was written by a newer nn-grader (schema {found[0]})")
        except sqlite3.DatabaseError as exc:
            raise GradebookError(f"{self.path} is not a gradebook this grader can open: {exc}") from exc

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=True)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: a killed process loses no commit; only a power cut could
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=60000")
            self._local.db = db
        return db

    @contextmanager
    def transaction(self):
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._connection().execute(sql, params).fetchall()

    # -- the course seed ---------------------------------------------------------------------------
    def course_seed(self, draw) -> tuple[int, bool]:
        """The course's seed, drawn with ``draw()`` the first time: (seed, whether it was drawn now)."""
        with self.transaction() as db:
            found = db.execute("SELECT value FROM meta WHERE key = 'course_seed'").fetchone()
            if found is not None:
                return int(found[0]), False
            seed = draw()
            db.execute("INSERT INTO meta VALUES ('course_seed', ?)", (str(seed),))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('course_seed_drawn_at', ?)", (now(),))
            return seed, True

    def replace_course_seed(self, seed: int) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('course_seed', ?)", (str(seed),))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('course_seed_drawn_at', ?)", (now(),))

    # -- roster ------------------------------------------------------------------------------------
    def set_roster(self, students: list[Student]) -> None:
        """The roster as given: these students are on it (details updated), everyone else is not."""
        with self.transaction() as db:
            db.execute("UPDATE students SET on_roster = 0")
            for s in students:
                db.execute("INSERT INTO students (id, name, email, lms_id, sis_id, section, on_roster) "
                           "VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
                           "email = excluded.email, lms_id = excluded.lms_id, sis_id = excluded.sis_id, "
                           "section = excluded.section, on_roster = 1",
                           (s.id, s.name, s.email, s.lms_id, s.sis_id, s.section))

    def students(self) -> list[Student]:
        rows = self.query("SELECT id, name, email, lms_id, sis_id, section, on_roster FROM students ORDER BY id")
        return [Student(*row[:6], bool(row[6])) for row in rows]

    # -- runs --------------------------------------------------------------------------------------
    def start_run(self, command: str) -> int:
        with self.transaction() as db:
            # a run whose process is gone without saying so was killed (kill -9, a crash, a reboot)
            for run_id, pid, host in db.execute("SELECT id, pid, host FROM runs WHERE state = 'running'").fetchall():
                if host == os.uname().nodename and not (pid and procfs.running(pid)):
                    db.execute("UPDATE runs SET state = 'killed' WHERE id = ?", (run_id,))
            return db.execute("INSERT INTO runs (started_at, state, pid, host, command) VALUES (?, 'running', ?, ?, ?)",
                              (now(), os.getpid(), os.uname().nodename, command)).lastrowid

    def finish_run(self, run_id: int, state: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET state = ?, finished_at = ? WHERE id = ?", (state, now(), run_id))

    def runs(self) -> list[tuple]:
        return self.query("SELECT id, started_at, finished_at, state, command FROM runs ORDER BY id")

    # -- attempts ----------------------------------------------------------------------------------
    def record(self, result: SubmissionResult, *, run_id: int | None, content_hash: str, fingerprint: str,
               seed: int, versions: dict) -> tuple[int, Attempt | None]:
        """Store one attempt and make it the one that counts — unless the grader failed (``ungraded``)
        and a real grade is already there. Returns (its id, the attempt that counted before)."""
        with self.transaction() as db:
            before = self._current(db, result.student, result.assignment)
            attempt_id = db.execute(
                "INSERT INTO attempts (run_id, student, assignment, path, content_hash, fingerprint, seed, graded_at, "
                "versions, status, score, max_score, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, result.student, result.assignment, result.path, content_hash, fingerprint, str(seed), now(),
                 json.dumps(versions, sort_keys=True), result.status, result.score, result.max_score,
                 _pack(result))).lastrowid
            db.executemany("INSERT OR REPLACE INTO check_scores VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(attempt_id, t.name, t.status, t.score, t.max_score, t.visibility, t.message)
                            for t in result.tests])
            db.execute("INSERT OR IGNORE INTO students (id) VALUES (?)", (result.student,))
            if not (result.status == "ungraded" and before is not None and before.status != "ungraded"):
                db.execute("INSERT OR REPLACE INTO current VALUES (?, ?, ?)",
                           (result.student, result.assignment, attempt_id))
            return attempt_id, before

    _ATTEMPT = ("SELECT a.id, a.run_id, a.student, a.assignment, a.path, a.content_hash, a.fingerprint, a.seed, "
                "a.graded_at, a.status, a.score, a.max_score FROM attempts a")

    def _current(self, db, student: str, assignment: str) -> Attempt | None:
        row = db.execute(self._ATTEMPT + " JOIN current c ON c.attempt_id = a.id WHERE c.student = ? "
                         "AND c.assignment = ?", (student, assignment)).fetchone()
        return Attempt(*row) if row else None

    def current(self, student: str, assignment: str) -> Attempt | None:
        return self._current(self._connection(), student, assignment)

    def current_all(self) -> list[Attempt]:
        return [Attempt(*row) for row in self.query(
            self._ATTEMPT + " JOIN current c ON c.attempt_id = a.id ORDER BY a.student, a.assignment")]

    def history(self, student: str, assignment: str) -> list[Attempt]:
        return [Attempt(*row) for row in self.query(
            self._ATTEMPT + " WHERE a.student = ? AND a.assignment = ? ORDER BY a.id", (student, assignment))]

    def attempt_result(self, attempt_id: int) -> SubmissionResult:
        row = self.query("SELECT result FROM attempts WHERE id = ?", (attempt_id,))
        if not row:
            raise GradebookError(f"no attempt {attempt_id}")
        return _unpack(row[0][0])

    def check_scores(self, attempt_id: int) -> dict[str, float]:
        return dict(self.query("SELECT name, score FROM check_scores WHERE attempt_id = ?", (attempt_id,)))

    # -- overrides ---------------------------------------------------------------------------------
    def add_override(self, student: str, assignment: str, check: str | None, points: float, reason: str,
                     made_by: str | None = None) -> int:
        with self.transaction() as db:
            # a new override of the same thing replaces the old one, which stays in the history
            db.execute("UPDATE overrides SET active = 0 WHERE student = ? AND assignment = ? AND check_name IS ?",
                       (student, assignment, check))
            return db.execute("INSERT INTO overrides (student, assignment, check_name, points, reason, made_by, "
                              "made_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (student, assignment, check, points, reason, made_by or _who(), now())).lastrowid

    def remove_override(self, override_id: int) -> bool:
        with self.transaction() as db:
            return db.execute("UPDATE overrides SET active = 0 WHERE id = ? AND active = 1",
                              (override_id,)).rowcount == 1

    def overrides(self, student: str | None = None, assignment: str | None = None) -> list[Override]:
        rows = self.query("SELECT id, student, assignment, check_name, points, reason, made_by, made_at "
                          "FROM overrides WHERE active = 1 AND (? IS NULL OR student = ?) "
                          "AND (? IS NULL OR assignment = ?) ORDER BY id", (student, student, assignment, assignment))
        return [Override(*row) for row in rows]


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container): still say something
        return f"uid {os.getuid()}"

