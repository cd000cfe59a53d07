"""The trusted side: the reference, the plan of inputs, the expectations, the hidden checks.

Nothing here runs student code or reads student files: it judges what the
sandboxed worker sent back (``autograder.wire``) against its own numbers.
"""

import secrets


def new_seed() -> int:
    """A fresh seed for one grading run (cheap to import: no torch)."""
    return secrets.randbits(48)
