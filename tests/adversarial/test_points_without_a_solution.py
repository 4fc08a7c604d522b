"""An empty XOR submission scores 0 whatever it does in its own process: scanning its memory for the
reference or another student, walking its stack for the job or the seed, forging answers, replacing the
probe runner with a published kit's values — on a cold and a warm cache, with and without a kit."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from attacks import (FORGE_EVENTS_AND_EXIT, LEAK_SEED, MARKER, SCAN_MEMORY, WALK_OBJECTS, correct_xor,
                     replace_probe_runner, write_submission)
from grader import pipeline, student_kit

SEED = 987_654_321  # distinctive: it must never appear in what a submission can see


@pytest.fixture(scope="module")
def kit_observations(tmp_path_factory) -> dict:
    kit = tmp_path_factory.mktemp("kit")
    student_kit.write(kit, ["xor"])
    published = json.loads((kit / "assignments" / "xor" / student_kit.PUBLISHED).read_text())
    return published["record"]["observations"]


def graded(root, **options):
    run = pipeline.grade(root, assignment="xor", seed=SEED, **options)
    assert not run.harness_errors, run.harness_errors
    return {s.student: s for s in run.submissions}


def output_of(result) -> str:
    return "\n".join(c.output + c.message for c in result.cells) + result.process_output


def test_empty_submission_scores_zero_whatever_it_does(tmp_path, kit_observations):
    root = tmp_path / "class"
    correct_xor(root, "ada")  # graded first, in the same warm worker as the attackers after it
    attacks = {"scan": [SCAN_MEMORY], "walk": [WALK_OBJECTS], "forge": [FORGE_EVENTS_AND_EXIT],
               "seed": [LEAK_SEED], "kit": [replace_probe_runner(kit_observations)],
               "all": [SCAN_MEMORY, WALK_OBJECTS, replace_probe_runner(kit_observations), FORGE_EVENTS_AND_EXIT]}
    for name, cells in attacks.items():
        write_submission(root, f"zz-{name}", cells)
    for cache in ("cold", "warm"):  # the warm run reuses every cached observation
        results = graded(root)
        assert results["ada"].score == results["ada"].max_score == 22
        for name in attacks:
            result = results[f"zz-{name}"]
            assert result.score == 0, (cache, name, [(t.name, t.message) for t in result.tests if t.score])
            seen = output_of(result)
            assert MARKER not in seen and "ADA-PRIVATE-" + MARKER.split("-", 2)[2] not in seen
            assert "STOLE REFERENCE" not in seen
            assert str(SEED) not in seen and str(SEED) not in json.dumps(result.to_dict())
        assert "nothing to steal" in output_of(results["zz-scan"])
        assert "probe runner replaced" in output_of(results["zz-kit"])  # it did try, and got nothing for it
        assert all(r.cached for r in results.values()) == (cache == "warm")


def test_a_self_check_uses_the_published_inputs_and_grading_does_not(tmp_path, kit_observations):
    """The kit's values are the reference's on the self-check's fixed inputs: a forger passes its own
    self-check (it only fools itself), and gets nothing for it when graded."""
    root = tmp_path / "class"
    path = write_submission(root, "mallory", [replace_probe_runner(kit_observations)])
    check = pipeline.check(path).submissions[0]
    grade = graded(root)["mallory"]
    assert check.score > 0 and grade.score == 0


STASH_AND_SHOW = '''
import json
SEEN = []
_honest_run_network = run_network


def run_network(x):  # keeps every input the grader gives it
    SEEN.append(np.asarray(x).round(6).tolist())
    return _honest_run_network(x)


def calc_loss():  # and shows them in the message of the next public check
    raise ValueError("SEEN " + json.dumps(SEEN))
'''


def test_a_hidden_probes_inputs_never_reach_a_public_checks_message(tmp_path):
    """Student code keeps what every probe gave it and raises it in a public check's message (shown in full
    to the student): public probes run before hidden ones, so only public inputs are there to show."""
    root = tmp_path / "class"
    source = (correct_xor(root, "stasher")).read_text()
    (root / "stasher" / "xor.py").write_text(source.replace("import tensorflow as tf",
                                                            "import numpy as np\nimport tensorflow as tf", 1)
                                             + STASH_AND_SHOW)
    result = graded(root)["stasher"]
    message = next(t.message for t in result.tests if t.name == "loss_and_gradients")
    assert "SEEN [" in message, message  # the attack ran: it shows what it kept
    shown = message[message.index("SEEN ") + 5:].split("\n")[0]
    values = {float(v) for v in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", shown)}
    assert values and values <= {0.0, 1.0}, values  # the lecture's XOR inputs only, none of the hidden points


def test_the_seed_cannot_be_searched_for_from_what_a_student_sees():
    """A student sees drawn public inputs and the seeds derived for their process (np.random.get_state()
    shows them). Inputs drawn from only part of the seed (seed % 2**32, as before) or a 31-bit run seed let
    a search find it and redraw every hidden input; every bit of a 128-bit seed must count."""
    from grader import assignments
    from grader.pipeline import derive_seed, new_seed

    probe = next(p for p in assignments.load("xor").rubric.probes if p.name == "forward_hidden")
    seed = 12345
    assert not np.array_equal(probe.make_inputs(seed)["inputs"], probe.make_inputs(seed + 2**32)["inputs"])
    assert not np.array_equal(probe.make_inputs(seed)["inputs"], probe.make_inputs(seed + 2**100)["inputs"])
    assert derive_seed(seed, "xor", "cells") != derive_seed(seed + 2**64, "xor", "cells")
    assert min(new_seed().bit_length() for _ in range(8)) > 64  # each 2**-64 likely to fail, never seen
