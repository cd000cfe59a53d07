"""The worker: everything that runs inside the sandbox, beside student code.

It holds torch, the student's module (or notebook namespace) and this small
probe runner; never the reference, the hidden checks or the quiz key. Nothing
here decides a grade: probes call the student's functions on the judge's
inputs and send back what came out (see :mod:`autograder.wire`).
"""
