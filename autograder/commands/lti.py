"""``python -m autograder lti push``: scores to the LMS over LTI 1.3 Assignment and Grade Services."""

from __future__ import annotations

from pathlib import Path

from . import UsageError

HELP = "post scores to the LMS over LTI 1.3 Assignment and Grade Services (lti push)"
DESCRIPTION = """\
LTI 1.3 Assignment and Grade Services (AGS) passback.

  lti push RESULTS_DIR --platform platform.toml [--id-map FILE] [--dry-run]
  lti jwks --platform platform.toml [--set | --pem]

push posts each student's score from a grade-all results folder to the line
item (the LMS gradebook column) named in platform.toml; see
autograder/lms/platform.example.toml for every key. jwks prints the tool's
public key, which the LMS asks for when the tool is registered. Run
`lti push --help`, `lti jwks --help`.
"""

JWKS_DESCRIPTION = """\
Print the tool's public key, made from its private key, for the LMS's
registration of the tool:

  Canvas   Developer Keys > + LTI Key > Public JWK: paste the JWK this prints
  a JWKS URL (any LMS): serve what --set prints, {"keys": [...]}
  Moodle   the tool's "Public key" field (key type RSA key): paste what --pem prints

The JWK carries kid (key_id in platform.toml), alg RS256 and use sig: the
platform checks the tool's client assertions with it. Nothing private is
printed.
"""

PUSH_DESCRIPTION = """\
Post each student's score to the line item of platform.toml.

The tool signs a JWT with its private key (RS256; iss = sub = client_id,
aud = token_url, kid = key_id), exchanges it for an OAuth2 token with the
AGS score scope, then POSTs one Score per student to <lineitem>/scores:
scoreGiven, scoreMaximum, activityProgress Completed, gradingProgress
FullyGraded (PendingManual, without a score, for a student whose status is
not_run or grader_error), timestamp, userId and a comment listing the missed
checks. 429 and 5xx answers are retried with exponential backoff (honouring
Retry-After).

userId comes from the id map: a CSV with a header row, 'student,lti_user_id',
from the student's name in the results (extra_data.student) to their LTI user
id: the 'sub' of their LTI launches, which the platform's Names and Role
Provisioning Service lists as user_id (Moodle uses its internal user id,
Canvas an opaque LTI id; neither is the login). A student missing from it is
reported and not posted.

What was accepted is kept in RESULTS_DIR/.lti-state.json; a re-run posts only
scores that changed (--force posts all again).

Exit status: 0 every score posted or unchanged; 1 some students flagged on
stderr (no user id, pending regrade, refused by the platform); 2 the push
could not run (platform.toml, the key rejected, the platform unreachable).
"""


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="lti_command", required=True, metavar="SUBCOMMAND")
    push = sub.add_parser("push", help="post the scores of a results folder to the line item",
                          description=PUSH_DESCRIPTION, formatter_class=parser.formatter_class)
    push.add_argument("results", metavar="RESULTS_DIR", help="the --out folder of grade-all")
    push.add_argument("--platform", required=True, metavar="TOML",
                      help="the platform's registration (see autograder/lms/platform.example.toml)")
    push.add_argument("--id-map", metavar="FILE",
                      help="CSV 'student,lti_user_id' (default: id_map in the platform file)")
    push.add_argument("--dry-run", action="store_true",
                      help="print the Scores that would be posted; no network, no file changed")
    push.add_argument("--force", action="store_true", help="post every score, changed or not")
    from ..lms import lateness

    lateness.add_arguments(push)
    jwks = sub.add_parser("jwks", help="print the tool's public key as a JWK (what Canvas asks for at "
                                       "registration)", description=JWKS_DESCRIPTION,
                          formatter_class=parser.formatter_class)
    source = jwks.add_mutually_exclusive_group(required=True)
    source.add_argument("--platform", metavar="TOML",
                        help="read private_key and key_id from platform.toml (nothing else is needed yet)")
    source.add_argument("--key", metavar="PEM", help="the tool's RSA private key (give --key-id too)")
    jwks.add_argument("--key-id", metavar="KID", help="with --key: the key id (kid) to publish it under")
    shape = jwks.add_mutually_exclusive_group()
    shape.add_argument("--set", action="store_true",
                       help='print a key set, {"keys": [...]}, to serve at a JWKS URL')
    shape.add_argument("--pem", action="store_true", help="print the public key as PEM (Moodle's "
                                                          "\"Public key\" field)")


# What the lti extra installs (pyproject.toml): the core grades without them.
LTI_EXTRA = {"jwt": "PyJWT", "cryptography": "cryptography", "requests": "requests"}


def run(args) -> int:
    import importlib.util

    missing = [package for module, package in LTI_EXTRA.items() if importlib.util.find_spec(module) is None]
    if missing:
        raise UsageError(f"lti {args.lti_command} needs the lti extra ({', '.join(missing)} not installed): "
                         'pip install -e ".[lti]"')

    if args.lti_command == "jwks":
        from ..lms.lti import jwks

        if args.key and not args.key_id:
            raise UsageError("lti jwks --key needs --key-id (the kid the platform will know the key by)")
        if args.platform and args.key_id:
            raise UsageError("lti jwks --platform takes key_id from the file; leave out --key-id")
        return jwks.main(Path(args.platform) if args.platform else None, Path(args.key) if args.key else None,
                         args.key_id, args.set, args.pem)
    from ..lms import lateness
    from ..lms.lti.push import push

    try:
        late = lateness.request_from_args(args)
    except lateness.PolicyError as exc:
        raise UsageError(str(exc)) from None
    return push(Path(args.results), Path(args.platform), Path(args.id_map) if args.id_map else None,
                late, args.dry_run, args.force)
