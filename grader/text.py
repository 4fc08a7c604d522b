"""Text that cannot drive a terminal or confuse a reader: the gate's cleaning of every string from a
sandboxed child (``gate`` uses it), kept free of NumPy so that a ``grader check`` client starts quickly."""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls except tab and newline, DEL, the noncharacters XML 1.0 refuses, bidi overrides
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: Any) -> str:
    """``value`` as text that cannot drive a terminal or confuse a reader (no controls, no bidi overrides)."""
    return UNSAFE.sub(_escape, SURROGATE.sub("\ufffd", value if isinstance(value, str) else str(value)))


def clean_text(value: Any, cap: int) -> str:
    """``value`` as safe text of at most about ``cap`` characters (a note says what was cut)."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > 4 * cap + 64:  # do not clean megabytes only to cut them
        text = text[: 4 * cap]
    text = SURROGATE.sub("\ufffd", text)
    text = UNSAFE.sub(_escape, text)
    if len(text) > cap:
        text = text[:cap] + f"\n[... {len(text) - cap} more characters not kept ...]"
    return text
