"""The sandbox limits shared by ``grade`` and ``grade-all``."""

from __future__ import annotations

from . import UsageError

DEFAULTS = {"check_timeout": 30.0, "import_timeout": 60.0, "total_timeout": 300.0,
            "memory_mb": 2048, "output_kb": 64}


def add_arguments(parser) -> None:
    group = parser.add_argument_group("limits")
    group.add_argument("--check-timeout", type=float, default=DEFAULTS["check_timeout"], metavar="S",
                       help="seconds for each group of checks (default %(default)g)")
    group.add_argument("--import-timeout", type=float, default=DEFAULTS["import_timeout"], metavar="S",
                       help="seconds to load the submission (default %(default)g)")
    group.add_argument("--total-timeout", type=float, default=DEFAULTS["total_timeout"], metavar="S",
                       help="seconds for the whole submission (default %(default)g)")
    group.add_argument("--memory-mb", type=int, default=DEFAULTS["memory_mb"], metavar="MB",
                       help="memory the submission may use (default %(default)s)")
    group.add_argument("--output-kb", type=int, default=DEFAULTS["output_kb"], metavar="KB",
                       help="printed output kept (default %(default)s)")


def from_args(args):
    from ..sandbox.session import Limits

    for name in DEFAULTS:
        if getattr(args, name) <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be positive")
    return Limits(check_timeout_s=args.check_timeout, import_timeout_s=args.import_timeout,
                  total_timeout_s=args.total_timeout, memory_bytes=args.memory_mb << 20,
                  output_bytes=args.output_kb << 10)
