"""Files that must never travel in an upload: keys and rosters, recognised by name and by content.

The Gradescope zip is built from an allow-list of what grading needs
(:mod:`.bundle`); this module is the second line. Every file in the folders the
zip draws from is looked at, and one that looks like a private key (a PEM
``PRIVATE KEY`` block, a ``.pem``/``.key`` file, an LTI ``platform.toml``) or a
roster (a gradebook or participants export, an id map, a list of emails) is left
out with a warning that names it, even where the allow-list would take it.
"""

from __future__ import annotations

import re
from pathlib import Path

READ_BYTES = 1 << 20  # the first MiB of each file is enough to recognise either
PRIVATE_KEY_BLOCK = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE" + rb" KEY-----")  # split: not itself a match
KEY_NAME = re.compile(r"(\.(pem|key|p12|pfx|jks|keystore)$|^id_(rsa|dsa|ecdsa|ed25519)|private)", re.I)
PLATFORM_NAME = re.compile(r"^platform(\..*)?\.toml$", re.I)
ROSTER_NAME = re.compile(r"(roster|gradebook|participants|id_?map|lti_users|students|grades|enrol)", re.I)
DATA_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xls", ".json", ".toml", ".ods"}
# Headings of the LMS exports and id maps the README uses (lower case), and of any list of people.
ROSTER_HEADINGS = (b"sis login id", b"sis user id", b"lti_user_id", b"lms_id", b"email address",
                   b"username", b"idnumber", b"id number")
EMAIL = re.compile(rb"[\w.+-]+@[\w-]+\.[\w.-]+")
PLATFORM_KEYS = re.compile(rb"^\s*(private_key|client_id|deployment_id)\s*=", re.M)


def why_sensitive(path: Path, relative: str) -> str | None:
    """Why ``path`` must not be uploaded (its name and, when a file, its first bytes), or None."""
    name = path.name
    if KEY_NAME.search(name):
        return "its name says it is a key"
    if PLATFORM_NAME.match(name) and name != "platform.example.toml":
        return "an LTI platform file (it names the tool's private key)"
    try:
        with open(path, "rb") as handle:
            head = handle.read(READ_BYTES)
    except OSError:
        return None
    if PRIVATE_KEY_BLOCK.search(head):
        return "it holds a private key"
    if path.suffix.lower() == ".py" and relative.startswith(("autograder/", "quizzes/")):
        return None  # the grader's own code names roster columns; only keys count there
    if path.suffix.lower() not in DATA_SUFFIXES:
        return None
    if ROSTER_NAME.search(name):
        return "its name says it is a roster or gradebook"
    first = head.split(b"\n", 1)[0].lower()
    if any(heading in first for heading in ROSTER_HEADINGS) or len(EMAIL.findall(head)) >= 2:
        return "it looks like a roster (student ids or emails)"
    if len(PLATFORM_KEYS.findall(head)) >= 2 and name != "platform.example.toml":
        return "it looks like an LTI platform file"
    return None
