"""Where a fault arose decides whose it is: the rule the worker applies, in this process (fast)."""

from __future__ import annotations

import pytest

from autograder.worker.blame import StudentError, arose_in_student_code, grader_fault, student_code


def test_what_escapes_a_student_region_is_the_students_with_their_line():
    namespace: dict = {}
    exec(compile("def forward():\n    return 1 / 0\n", "/scratch/rnn.py", "exec"), namespace)
    with pytest.raises(StudentError) as caught:
        with student_code("/scratch/rnn.py"):
            namespace["forward"]()
    assert caught.value.info == {"type": "ZeroDivisionError", "message": "division by zero",
                                 "where": "forward, line 2"}
    with pytest.raises(StudentError) as caught:
        with student_code("/scratch/rnn.py"):
            raise SystemExit(3)
    assert caught.value.info["message"] == "the code called exit(3)"


def test_a_traceback_through_student_cells_is_theirs_and_one_through_ours_is_not():
    namespace: dict = {}
    exec(compile("def cell():\n    raise KeyError('x')\n", "<ipython-input-3-abc>", "exec"), namespace)
    try:
        namespace["cell"]()
    except KeyError as exc:
        assert arose_in_student_code(exc)
    from autograder import wire

    try:
        wire.decode_submission(b"\0")
    except Exception as exc:  # noqa: BLE001
        ours = exc.with_traceback(exc.__traceback__.tb_next)  # from the grader's frame inwards, as in a worker
        assert not arose_in_student_code(ours)
        fault = grader_fault(ours, "intake")
        assert fault["stage"] == "intake" and fault["type"] == "error"
        assert fault["where"].startswith("autograder/wire.py:") and fault["where"].endswith("in decode_submission")
