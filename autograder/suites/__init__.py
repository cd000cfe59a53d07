"""Hidden checks. Shipped with the grader, never in the student release.

Each test implements one entry of ``autograder.checks.CHECKS`` and receives one
fixture, ``ctx`` (``autograder.context.Context``). They run in the judge's
process on data returned by the sandboxed worker.
"""
