"""Hidden checks. Shipped with the grader, never in the student release.

Each module implements entries of :data:`autograder.judge.catalogue.CHECKS`:
one plain function per check, marked ``@check("group.name")``, taking one
argument, ``ctx`` (:class:`autograder.judge.context.Context`), and raising
:class:`~autograder.judge.catalogue.CheckFailure` (through ``expect``) with the
student's message when the check fails. No other fixtures: the same functions
run in the judge (:mod:`autograder.judge.runner`) and in nbgrader's kernel.
"""
