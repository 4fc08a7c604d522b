"""junit.xml for CI: one test suite per submission, one test case per check."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..results import GradingRun, seed_id
from .files import atomic_write

# what XML 1.0 cannot hold at all, escaped or not (control characters, lone surrogates, U+FFFE/F)
NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value) -> str:
    return NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else "\ufffd", str(value))


def write(run: GradingRun, out: Path) -> Path:
    root = ET.Element("testsuites", name="nn-grader", tests=str(sum(len(s.tests) or 1 for s in run.submissions)))
    for sub in run.submissions:
        suite = ET.SubElement(root, "testsuite", name=xml_text(f"{sub.student}/{sub.assignment}"),
                              tests=str(len(sub.tests) or 1), time=f"{sub.duration_s:.3f}",
                              failures=str(sum(t.status == "failed" for t in sub.tests)),
                              errors=str(sum(t.status == "error" for t in sub.tests) + (sub.status == "error")))
        properties = ET.SubElement(suite, "properties")
        for name, value in (("status", sub.status), ("score", sub.score), ("max_score", sub.max_score),
                            ("seed_id", seed_id(run.seed)), ("tensorflow_version", run.tensorflow_version)):
            ET.SubElement(properties, "property", name=name, value=xml_text(value))
        if sub.status == "ungraded":
            case = ET.SubElement(suite, "testcase", classname=xml_text(f"{sub.assignment}.{sub.student}"),
                                 name="not graded")
            ET.SubElement(case, "skipped", message=xml_text(sub.message))
        if sub.status == "error":
            case = ET.SubElement(suite, "testcase", classname=xml_text(f"{sub.assignment}.{sub.student}"),
                                 name="submission")
            ET.SubElement(case, "error", message=xml_text(sub.message))
        for test in sub.tests:
            case = ET.SubElement(suite, "testcase", classname=xml_text(f"{sub.assignment}.{sub.student}"),
                                 name=xml_text(test.name))
            if test.status != "passed":
                tag = "error" if test.status == "error" else "failure"
                node = ET.SubElement(case, tag, message=xml_text(test.message))
                node.text = xml_text(f"{test.score}/{test.max_score} points. {test.hint}".strip())
    path = out / "junit.xml"
    atomic_write(path, ET.tostring(root, encoding="utf-8", xml_declaration=True))
    return path
