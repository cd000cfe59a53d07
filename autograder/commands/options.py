"""Options shared by ``grade`` and ``grade-all``: the sandbox, the parts graded, the limits."""

from __future__ import annotations

from . import UsageError

LIMITS = {"check_timeout": 30.0, "import_timeout": 60.0, "total_timeout": 300.0, "memory_mb": 2048,
          "output_kb": 64, "scratch_mb": 64}


def add_arguments(parser) -> None:
    sandbox = parser.add_argument_group("sandbox")
    sandbox.add_argument(
        "--sandbox", default="full", metavar="MODES",
        help="sandbox modes to use, in order of preference: full (Linux as root: namespaces, cgroup, "
             "Landlock), container (a Docker container without CAP_SYS_ADMIN, e.g. Gradescope), or "
             "both as full,container. The first mode whose every measure verifies is used; if none does, "
             "nothing runs (default: %(default)s)")
    sandbox.add_argument("--unconfined", action="store_true",
                         help="run student code WITHOUT a sandbox: only for code you trust (your own, "
                              "on a laptop without these OS features); said loudly in every result")
    sandbox.add_argument("--seed", type=int, metavar="N",
                         help="the seed of the judge's inputs (default: a new one each run; grade-all goes "
                              "on with the seed of the results it keeps, so a cohort is judged on one set of "
                              "inputs); a run's seed is in every results file")
    parts = parser.add_argument_group("what is graded")
    parts.add_argument("--no-part2", action="store_true",
                       help="leave out part 2 (rnn_forward_manual, hidden_gradient_norms)")
    parts.add_argument("--no-quiz", action="store_true", help="leave out the quiz")
    group = parser.add_argument_group("limits")
    group.add_argument("--check-timeout", type=float, default=LIMITS["check_timeout"], metavar="S",
                       help="seconds for each group of checks (default %(default)g)")
    group.add_argument("--import-timeout", type=float, default=LIMITS["import_timeout"], metavar="S",
                       help="seconds to load the submission (default %(default)g)")
    group.add_argument("--total-timeout", type=float, default=LIMITS["total_timeout"], metavar="S",
                       help="seconds for the whole submission (default %(default)g)")
    group.add_argument("--memory-mb", type=int, default=LIMITS["memory_mb"], metavar="MB",
                       help="memory for all the submission's processes together (default %(default)s)")
    group.add_argument("--output-kb", type=int, default=LIMITS["output_kb"], metavar="KB",
                       help="printed output kept (default %(default)s)")
    group.add_argument("--scratch-mb", type=int, default=LIMITS["scratch_mb"], metavar="MB",
                       help="the submission's scratch folder (full mode: a tmpfs of this size; "
                            "default %(default)s)")


def from_args(args, hidden: list[str]):
    """The grading options, checked; UsageError with one line when a value is wrong."""
    from ..judge.grader import Options
    from ..sandbox import modes
    from ..sandbox.session import Limits

    for name in LIMITS:
        if getattr(args, name) <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be positive")
    try:
        sandbox = modes.parse(args.sandbox)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    limits = Limits(check_timeout_s=args.check_timeout, import_timeout_s=args.import_timeout,
                    total_timeout_s=args.total_timeout, memory_bytes=args.memory_mb << 20,
                    output_bytes=args.output_kb << 10, scratch_bytes=args.scratch_mb << 20)
    return Options(sandbox=sandbox, unconfined=args.unconfined, limits=limits, part2=not args.no_part2,
                   quiz=not args.no_quiz, seed=args.seed, hidden=hidden)
