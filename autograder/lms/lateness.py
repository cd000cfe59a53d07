"""The late policy: a due time, a penalty per started day or hour, a cap and a grace period.

A submission later than ``due + grace`` loses ``percent`` of its score for every
started period after ``due`` (10 minutes late with ``10%/day`` costs 10%;
24 h 1 min costs 20%), never more than ``cap`` percent. Within the grace
period nothing is lost. The penalty is a share of the student's own score:
80 points two days late at 10%/day become 64.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

PERIODS = {"day": timedelta(days=1), "d": timedelta(days=1),
           "hour": timedelta(hours=1), "h": timedelta(hours=1)}
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
UTC_NAMES = {"utc", "z", "gmt"}


class PolicyError(ValueError):
    """A late-policy option that cannot be read; the message names the option."""


def parse_due(text: str) -> datetime:
    """'2026-12-01 09:00 UTC', '2026-12-01T09:00+01:00', '2026-12-01 09:00 Europe/Berlin'."""
    value = text.strip()
    head, _, zone = value.rpartition(" ")
    tz = None
    if head and (zone.casefold() in UTC_NAMES or "/" in zone):
        if zone.casefold() in UTC_NAMES:
            tz = timezone.utc
        else:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                tz = ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise PolicyError(f"--due {text!r}: unknown time zone {zone!r} "
                                  "(use e.g. UTC, Europe/Berlin or an offset like +01:00)") from None
        value = head.strip()
    try:
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] in "Zz" else value)
    except ValueError:
        raise PolicyError(
            f"--due {text!r}: expected a date and time with its time zone, e.g. "
            "'2026-12-01 09:00 UTC', '2026-12-01T09:00+01:00' or '2026-12-01 09:00 Europe/Berlin'"
        ) from None
    if tz is not None:
        if moment.tzinfo is not None:
            raise PolicyError(f"--due {text!r}: give either an offset or a zone name, not both")
        return moment.replace(tzinfo=tz)
    if moment.tzinfo is None:
        raise PolicyError(f"--due {text!r} has no time zone: add one, e.g. '{value} UTC' or "
                          f"'{value} Europe/Berlin'")
    return moment


def parse_penalty(text: str) -> tuple[float, str]:
    """'10%/day' -> (10.0, 'day'); '2.5%/hour' -> (2.5, 'hour')."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*(?:/|per)\s*(day|d|hour|h)\s*", text, re.I)
    if not found or float(found.group(1)) > 100:
        raise PolicyError(f"--late-penalty {text!r}: expected PERCENT%/day or PERCENT%/hour "
                          "(0 to 100), e.g. 10%/day or 2%/hour")
    unit = found.group(2).lower()
    return float(found.group(1)), "day" if unit in ("day", "d") else "hour"


def parse_percent(text: str, option: str) -> float:
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%?\s*", text)
    if not found or float(found.group(1)) > 100:
        raise PolicyError(f"{option} {text!r}: expected a percentage from 0 to 100, e.g. 50%")
    return float(found.group(1))


def parse_duration(text: str, option: str) -> timedelta:
    """'15m', '90s', '2h', '1d', '1h30m', '0'."""
    value = text.strip().lower().replace(" ", "")
    if value == "0":
        return timedelta(0)
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhd])", value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise PolicyError(f"{option} {text!r}: expected a duration such as 15m, 90s, 2h or 1d")
    return timedelta(seconds=sum(float(n) * UNITS[u] for n, u in parts))


def duration_text(delta: timedelta) -> str:
    """'1 day 2 h 5 min', '45 min', '30 s'."""
    seconds = int(round(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = []
    if days:
        out.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        out.append(f"{hours} h")
    if minutes:
        out.append(f"{minutes} min")
    if secs and not days and not hours:
        out.append(f"{secs} s")
    return " ".join(out) or "0 s"


@dataclass(frozen=True)
class Lateness:
    late_by: timedelta  # after the due time (0 when on time)
    periods: int  # started periods counted
    penalty_percent: float
    within_grace: bool


@dataclass(frozen=True)
class LatePolicy:
    due: datetime
    percent: float = 0.0  # per period
    period: str = "day"  # "day" or "hour"
    cap: float = 100.0  # percent
    grace: timedelta = timedelta(0)

    def assess(self, submitted: datetime) -> Lateness:
        late_by = max(submitted - self.due, timedelta(0))
        if late_by == timedelta(0):
            return Lateness(late_by, 0, 0.0, False)
        if late_by <= self.grace:
            return Lateness(late_by, 0, 0.0, True)
        periods = math.ceil(late_by / PERIODS[self.period])
        return Lateness(late_by, periods, min(self.cap, periods * self.percent), False)

    def describe(self) -> str:
        text = f"due {self.due.isoformat(timespec='minutes')}, {self.percent:g}% per started {self.period}"
        if self.cap < 100:
            text += f", at most {self.cap:g}%"
        if self.grace:
            text += f", {duration_text(self.grace)} grace"
        return text

    def as_dict(self) -> dict:
        return {"due": self.due.isoformat(), "percent_per_period": self.percent, "period": self.period,
                "cap_percent": self.cap, "grace_seconds": self.grace.total_seconds()}

    @classmethod
    def from_dict(cls, data: dict) -> LatePolicy:
        """The policy :meth:`as_dict` wrote. Raises PolicyError naming what is wrong."""
        def number(key: str, low: float, high: float) -> float:
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise PolicyError(f"{key} is {value!r}, not a number from {low:g} to {high:g}")
            return float(value)

        unknown = sorted(set(data) - {"due", "percent_per_period", "period", "cap_percent", "grace_seconds"})
        if unknown:
            raise PolicyError(f"unknown key(s) {', '.join(unknown)}")
        due = data.get("due")
        try:
            moment = datetime.fromisoformat(due) if isinstance(due, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise PolicyError(f"due is {due!r}, not an ISO 8601 time with its UTC offset")
        if data.get("period") not in ("day", "hour"):
            raise PolicyError(f"period is {data.get('period')!r}, not \"day\" or \"hour\"")
        return cls(moment, number("percent_per_period", 0, 100), data["period"],
                   number("cap_percent", 0, 100), timedelta(seconds=number("grace_seconds", 0, 10 ** 9)))


POLICY_HELP = """\
With --due, lateness is measured from the submission time grade-all recorded
(nbgrader's timestamp.txt under --assignment, or else the file's modification
time, which is weaker evidence: the notes say which) and recorded in each
student's results file (extra_data.late, a line in output; score_before is
kept). A submission later than due + grace loses PERCENT of its score per
started day (or hour) after the due time, at most --late-cap: 80 points 2 days
late at 10%/day -> 64. The policy is kept with the results folder
(RESULTS_DIR/late-policy.toml): every later export and push applies it, to
students graded again since too, without --due. Changing it takes
--replace-late-policy, dropping it --no-late-policy; the output says which.
"""


def add_arguments(parser) -> None:
    """The late-policy options, shared by export-grades and lti push."""
    group = parser.add_argument_group("late policy", POLICY_HELP)
    group.add_argument("--due", metavar="WHEN",
                       help="the due time with its zone: '2026-12-01 09:00 UTC', "
                            "'2026-12-01T09:00+01:00' or '2026-12-01 09:00 Europe/Berlin'")
    group.add_argument("--late-penalty", metavar="RATE",
                       help="PERCENT%%/day or PERCENT%%/hour, e.g. 10%%/day (default: none, lateness "
                            "is only reported)")
    group.add_argument("--late-cap", metavar="PERCENT",
                       help="the most a late submission loses, e.g. 50%% (default 100%%)")
    group.add_argument("--grace", metavar="DURATION",
                       help="no penalty this long after the due time, e.g. 15m, 2h (default 0)")
    group.add_argument("--replace-late-policy", action="store_true",
                       help="replace the policy the results folder keeps with the one given here "
                            "(every student recomputed from their score before any penalty)")
    group.add_argument("--no-late-policy", action="store_true",
                       help="drop the policy the results folder keeps, and every late penalty with it")


@dataclass(frozen=True)
class PolicyRequest:
    """What the options ask of the results folder's late policy (see :mod:`.kept_policy`)."""

    given: LatePolicy | None  # --due and its companions
    replace: bool = False  # --replace-late-policy
    drop: bool = False  # --no-late-policy


def request_from_args(args) -> PolicyRequest:
    """The late-policy options, checked. Raises PolicyError."""
    replace, drop = bool(getattr(args, "replace_late_policy", False)), bool(getattr(args, "no_late_policy",
                                                                                   False))
    if drop and (args.due or replace):
        raise PolicyError("--no-late-policy drops the kept policy: leave out --due and "
                          "--replace-late-policy")
    if replace and not args.due:
        raise PolicyError("--replace-late-policy needs --due (and the rest of the new policy)")
    return PolicyRequest(from_args(args), replace, drop)


def from_args(args) -> LatePolicy | None:
    """The policy the options describe, or None without --due. Raises PolicyError."""
    given = [o for o in ("late_penalty", "late_cap", "grace") if getattr(args, o, None)]
    if not args.due:
        if given:
            raise PolicyError(f"--{given[0].replace('_', '-')} needs --due (the due time)")
        return None
    percent, period = parse_penalty(args.late_penalty) if args.late_penalty else (0.0, "day")
    cap = parse_percent(args.late_cap, "--late-cap") if args.late_cap else 100.0
    grace = parse_duration(args.grace, "--grace") if args.grace else timedelta(0)
    return LatePolicy(parse_due(args.due), percent, period, cap, grace)
