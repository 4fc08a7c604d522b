"""The parent's ends of one child's pipes: send a request, wait for the one answer that matches it.

Requests go out one at a time, each with a fresh ticket; the answer must carry that ticket and the
expected event name, so nothing the child wrote earlier (or invented) can stand in for it. The clock of
an item belongs to the parent: it starts when the request is sent and nothing the child says resets it.
The terminal output of the child's processes arrives on a third pipe and only its tail is kept. Every
line goes through ``grader.gate`` before anything looks at it.
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .. import gate

CANCELLED = threading.Event()  # set when the grading run is interrupted: every wait ends at once


@dataclass
class Reply:
    event: dict | None  # the answer, schema-checked by the gate; None when the wait ended otherwise
    ending: str | None = None  # "timeout" | "exited" | "flood" | "cancelled"
    elapsed: float = 0.0  # how long the item had run when the wait ended
    cpu_s: float | None = None  # CPU the submission used during the item, when it timed out


class OutputTail:
    """The last ``cap`` bytes of a stream, and how many came before them."""

    def __init__(self, cap: int):
        self.cap, self.data, self.dropped = cap, bytearray(), 0

    def feed(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > 2 * self.cap:
            cut = len(self.data) - self.cap
            self.dropped += cut
            del self.data[:cut]

    def text(self) -> str:
        data = bytes(self.data[-self.cap:])
        dropped = self.dropped + len(self.data) - len(data)
        text = gate.process_output(data, self.cap)
        return f"[... {dropped} earlier bytes not kept ...]\n{text}" if dropped else text


class Connection:
    def __init__(self, request_w: int, event_r: int, output_r: int, events_cap: int, output_cap: int):
        self.request_w, self.event_r, self.output_r = request_w, event_r, output_r
        self.events_cap = events_cap
        self.output = OutputTail(output_cap)
        self.received = 0  # bytes on the event pipe, over the child's whole life
        self.rejected = 0  # lines that were not the answer to the request in flight
        self.buffer = b""
        self.event_open = self.output_open = True
        for fd in (request_w, event_r, output_r):
            os.set_blocking(fd, False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(event_r, selectors.EVENT_READ)
        self.selector.register(output_r, selectors.EVENT_READ)

    @staticmethod
    def ticket() -> str:
        return secrets.token_hex(8)

    def send(self, request: dict, deadline: float) -> bool:
        """Write one request; False if the child is gone or has not taken it by ``deadline``."""
        view = memoryview((json.dumps(request, separators=(",", ":")) + "\n").encode())
        while view:
            if time.monotonic() > deadline or CANCELLED.is_set():
                return False
            try:
                written = os.write(self.request_w, view)
                view = view[written:]
            except BlockingIOError:
                self._pump(0.05)  # keep its output flowing while it reads
            except (BrokenPipeError, OSError):
                return False
        return True

    def wait(self, kind: str, ticket: str | None, limit_s: float, deadline: float,
             cpu: Callable[[], float | None] | None = None) -> Reply:
        """Read until the child answers ``kind``/``ticket``, exits, floods, or runs out of time."""
        started = time.monotonic()
        cpu_start = cpu() if cpu else None
        while True:
            now = time.monotonic()
            if CANCELLED.is_set():
                return Reply(None, "cancelled", now - started)
            if now - started > limit_s or now > deadline:
                used = None
                if cpu_start is not None:
                    end = cpu()
                    used = None if end is None else end - cpu_start
                return Reply(None, "timeout", now - started, used)
            for line in self._lines():
                event = gate.parse_line(line)
                if event is None or not gate.conforms(event) or event["event"] != kind or \
                        (ticket is not None and event.get("ticket") != ticket):
                    self.rejected += 1
                    continue
                return Reply(event, None, time.monotonic() - started)
            if self.received > self.events_cap:
                return Reply(None, "flood", time.monotonic() - started)
            if not self.event_open:
                return Reply(None, "exited", time.monotonic() - started)
            self._pump(min(0.2, max(0.0, min(limit_s - (now - started), deadline - now))))

    def _lines(self) -> list[bytes]:
        if b"\n" not in self.buffer:
            return []
        *lines, self.buffer = self.buffer.split(b"\n")
        return lines

    def _pump(self, timeout: float) -> None:
        for key, _ in self.selector.select(timeout=timeout):
            fd = key.fd
            try:
                chunk = os.read(fd, 1 << 20)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.selector.unregister(fd)
                if fd == self.event_r:
                    self.event_open = False
                else:
                    self.output_open = False
                continue
            if fd == self.event_r:
                self.received += len(chunk)
                if len(self.buffer) <= self.events_cap:
                    self.buffer += chunk
            else:
                self.output.feed(chunk)
        if not self.selector.get_map() and timeout:
            time.sleep(min(timeout, 0.05))

    def drain(self, timeout: float) -> None:
        """After the child's end: collect the rest of its output (until every writer closed, or ``timeout``)."""
        until = time.monotonic() + timeout
        while self.output_open and time.monotonic() < until:
            self._pump(0.05)

    def close(self) -> None:
        self.selector.close()
        for fd in (self.request_w, self.event_r, self.output_r):
            try:
                os.close(fd)
            except OSError:
                pass
