"""LTI 1.3 Assignment and Grade Services: post each student's score to the LMS's line item.

:mod:`.platform` reads ``platform.toml`` (see ``platform.example.toml``);
:mod:`.token` signs the client assertion (RS256, pyjwt) and takes an OAuth2
client-credentials token; :mod:`.retrying` retries 429 and 5xx answers;
:mod:`.scores` builds the Score objects; :mod:`.state` remembers what was
posted so a re-run posts only what changed; :mod:`.push` runs ``lti push``.
"""


class LtiError(Exception):
    """The push cannot go on (the CLI prints it as one line and exits 2)."""
