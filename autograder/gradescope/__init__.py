"""Gradescope: ``setup.sh`` and ``run_autograder``, and :mod:`.bundle`, which builds the zip."""
