"""junit.xml for CI: one test suite per submission, one test case per check."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ..results import GradingRun


def write(run: GradingRun, out: Path) -> Path:
    root = ET.Element("testsuites", name="nn-grader", tests=str(sum(len(s.tests) or 1 for s in run.submissions)))
    for sub in run.submissions:
        suite = ET.SubElement(root, "testsuite", name=f"{sub.student}/{sub.assignment}",
                              tests=str(len(sub.tests) or 1), time=f"{sub.duration_s:.3f}",
                              failures=str(sum(t.status == "failed" for t in sub.tests)),
                              errors=str(sum(t.status == "error" for t in sub.tests) + (sub.status == "error")))
        properties = ET.SubElement(suite, "properties")
        for name, value in (("status", sub.status), ("score", sub.score), ("max_score", sub.max_score),
                            ("seed", run.seed), ("tensorflow_version", run.tensorflow_version)):
            ET.SubElement(properties, "property", name=name, value=str(value))
        if sub.status == "error":
            case = ET.SubElement(suite, "testcase", classname=f"{sub.assignment}.{sub.student}", name="submission")
            ET.SubElement(case, "error", message=sub.message)
        for test in sub.tests:
            case = ET.SubElement(suite, "testcase", classname=f"{sub.assignment}.{sub.student}", name=test.name)
            if test.status != "passed":
                tag = "error" if test.status == "error" else "failure"
                node = ET.SubElement(case, tag, message=test.message)
                node.text = f"{test.score}/{test.max_score} points. {test.hint}".strip()
    path = out / "junit.xml"
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path
