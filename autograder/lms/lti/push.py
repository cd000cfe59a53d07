"""``lti push``: every student's score to the line item, once; only changes on a re-run.

The run: read ``platform.toml`` and the id map (student -> LTI user id), read
the results (late policy applied as in export-grades), work out each Score,
skip those the state file says were accepted unchanged, then take a token and
POST the rest. Exit 0 all posted (or unchanged), 1 some students flagged
(no user id, pending regrade, refused by the platform), 2 the push could not
run (configuration, rejected key, platform unreachable).
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import findings, kept_policy, late_record, lateness
from .. import id_map as id_map_module
from .. import results_folder as results_module
from ..text import plural, shown
from . import LtiError, platform, retrying, scores
from .state import State

COMMAND = "lti push"
ACCEPTED = (200, 201, 202, 204)


@dataclass(frozen=True)
class Job:
    student: results_module.StudentResult
    body: dict  # the Score without its timestamp


class Tokens:
    """The access token, taken when first needed and renewed when stale or refused."""

    def __init__(self, session, config: platform.Platform):
        from .token import load_private_key

        self.session, self.config = session, config
        self.key = load_private_key(config)
        self.token = None

    def get(self, renew: bool = False) -> str:
        from .token import request_token

        if renew or self.token is None or not self.token.fresh():
            self.token = request_token(self.session, self.config, self.key)
        return self.token.value


def _excerpt(response) -> str:
    text = " ".join((response.text or "").split())
    return shown(text[:200]) if text else response.reason or ""


def post(session, tokens: Tokens, url: str, job: Job) -> str | None:
    """POST one Score; None when accepted, else why not. Raises LtiError when no score can go."""
    what = f"posting {shown(job.student.name)}'s score to {url}"
    for attempt in (1, 2):
        headers = {"Authorization": f"Bearer {tokens.get(renew=attempt == 2)}",
                   "Content-Type": scores.CONTENT_TYPE}
        response = retrying.send(session, "POST", url, what, headers=headers,
                                 data=json.dumps(scores.stamped(job.body)).encode("utf-8"))
        if response.status_code in ACCEPTED:
            return None
        if response.status_code == 401 and attempt == 1:
            continue  # expired or revoked: one new token, one more try
        if response.status_code == 401:
            deployment = tokens.config.deployment_id
            raise LtiError(f"{url}: the platform refuses a token it has just issued (HTTP 401: "
                           f"{_excerpt(response)}); check that the tool's deployment {deployment!r} "
                           "may post scores to this line item")
        if response.status_code == 403:
            raise LtiError(f"{url}: HTTP 403 forbidden ({_excerpt(response)}); the tool may not post to "
                           f"this line item: check lineitem in {tokens.config.path.name} and the tool's "
                           "AGS permissions in the LMS")
        hint = " (is lineitem right, and is this user in the course?)" if response.status_code == 404 else ""
        return f"HTTP {response.status_code}: {_excerpt(response)}{hint}"
    raise AssertionError("unreachable")


def _jobs(cohort, ids, report) -> list[Job]:
    jobs = []
    for student in cohort.students:
        user_id = ids.get(student.name)
        if user_id is None:
            report.add(findings.NO_USER_ID, f"{shown(student.name)} ({student.path.name}): no LTI user id "
                                             f"in {ids.path.name}; add a row '{shown(student.name)},<LTI "
                                             "user id>'")
            continue
        if student.needs_regrade:
            report.add(findings.PENDING, f"{shown(student.name)} ({student.path.name}): {student.status}: "
                                         f"{shown(student.regrade_reason or 'no reason recorded')}")
        jobs.append(Job(student, scores.score(student, user_id, cohort.max_score)))
    return jobs


def _check_writable(folder: Path) -> None:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".lti-state-probe-"):
            pass
    except OSError as exc:
        raise LtiError(f"cannot write the state file in {folder} ({exc.strerror or exc}); the push "
                       "must remember what it posted") from None


def push(results: Path, config_path: Path, id_map_path: Path | None, late: lateness.PolicyRequest,
         dry_run: bool, force: bool) -> int:
    report = findings.Findings(COMMAND)
    try:
        config = platform.load(config_path)
        id_map_path = id_map_path or config.id_map
        if id_map_path is None:
            raise LtiError(f"no id map: give --id-map FILE or id_map in {config.path.name} (a CSV "
                           "'student,lti_user_id' from the student's name in the results to their LTI "
                           "user id)")
        ids = id_map_module.read(id_map_path)
        cohort = results_module.read(results)
        state = State.load(cohort.folder, config.state_key)
        decision = kept_policy.decide(cohort.folder, late)
        if not dry_run:
            _check_writable(cohort.folder)
            kept_policy.commit(cohort.folder, decision)
    except (LtiError, id_map_module.IdMapError, results_module.CohortError, lateness.PolicyError) as exc:
        print(f"{COMMAND}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{COMMAND}: cannot keep the late policy in {kept_policy.path(cohort.folder)} "
              f"({exc.strerror or exc}); nothing was posted", file=sys.stderr)
        return 2
    if decision.statement:
        print(f"{COMMAND}{' --dry-run' if dry_run else ''}: {decision.statement}"
              + (" (not recorded: --dry-run)" if dry_run and (decision.write or decision.remove) else ""))
    for problem in cohort.problems:
        report.add(findings.LEFT_OUT, problem.line())
    for outcome in (late_record.assess(s, decision.policy, write=not dry_run, drop=decision.drop)
                    for s in cohort.students):
        if outcome.note:
            report.add(findings.late_heading(outcome.kind, outcome.flagged), outcome.note)
    weak = late_record.weak_evidence(cohort.students) if decision.policy else None
    if weak:
        report.add(findings.LATE, weak)
    jobs = _jobs(cohort, ids, report)
    todo = [j for j in jobs if force or not state.unchanged(j.body)]
    url = scores.scores_url(config.lineitem)
    unchanged = len(jobs) - len(todo)
    if dry_run:
        print(f"{COMMAND} --dry-run: would POST {len(todo)} score(s) to {url} "
              f"(Content-Type: {scores.CONTENT_TYPE}); {unchanged} unchanged since the last push")
        for job in todo:
            print(f"# {shown(job.student.name)} ({job.student.path.name})")
            print(json.dumps({**job.body, "timestamp": "<the time of posting>"}, indent=2))
        report.print(sys.stderr)
        return 1 if report.flagged else 0
    posted = 0
    try:
        try:
            import requests

            from . import token  # noqa: F401  (pyjwt and cryptography)
        except ImportError as exc:
            raise LtiError(f"lti push needs {exc.name} (PyJWT[crypto], requests): install the lti extra "
                           'with `pip install -e ".[lti]"`') from None
        if todo:

            with requests.Session() as session:
                tokens = Tokens(session, config)
                for job in todo:
                    problem = post(session, tokens, url, job)
                    if problem:
                        report.add(findings.REFUSED, f"{shown(job.student.name)} ({job.student.path.name}): "
                                                     f"{problem}")
                        continue
                    state.remember(job.student.name, job.body)
                    posted += 1
                    given = (f"{job.body['scoreGiven']:g}/{job.body['scoreMaximum']:g}"
                             if "scoreGiven" in job.body else "PendingManual")
                    print(f"posted {shown(job.student.name)}: {given}")
    except LtiError as exc:
        print(f"{COMMAND}: {exc}", file=sys.stderr)
        if posted:
            print(f"{COMMAND}: {posted} of {len(todo)} scores were posted before this error (remembered); "
                  "a re-run posts the rest", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{COMMAND}: cannot write {state.path} ({exc.strerror or exc}); {posted} score(s) posted",
              file=sys.stderr)
        return 2
    print(f"{COMMAND}: {plural(posted, 'score')} posted to {url}; {unchanged} unchanged since the last "
          "push (not posted again)")
    report.print(sys.stderr)
    return 1 if report.flagged else 0
