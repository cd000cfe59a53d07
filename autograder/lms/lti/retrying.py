"""HTTP with patience: 429 and 5xx answers (and lost connections) are retried with
exponential backoff, honouring the platform's Retry-After."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests

from . import LtiError

TRIES = 5
FIRST_DELAY = 1.0  # seconds; doubles each try
MAX_DELAY = 60.0
MAX_RETRY_AFTER = 120.0  # a platform asking for longer is told to wait for a re-run
TIMEOUT = 30.0


def sleep(seconds: float) -> None:  # replaced in tests
    time.sleep(seconds)


def retry_after(response: requests.Response | None) -> float | None:
    """Seconds the platform asked us to wait (Retry-After: seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def send(session: requests.Session, method: str, url: str, what: str, **kwargs) -> requests.Response:
    """The first answer that is neither 429 nor 5xx; :class:`LtiError` when none comes.

    ``what`` names the request in messages, e.g. "the token request to https://...".
    """
    for attempt in range(1, TRIES + 1):
        response = None
        try:
            response = session.request(method, url, timeout=TIMEOUT, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            problem = f"no answer ({type(exc).__name__})"
        else:
            if response.status_code != 429 and response.status_code < 500:
                return response
            problem = f"HTTP {response.status_code} {response.reason or ''}".strip()
        if attempt == TRIES:
            raise LtiError(f"{what}: {problem} after {TRIES} tries; run the same command again later "
                           "(scores already posted are remembered and not posted twice)")
        asked = retry_after(response)
        if asked is not None and asked > MAX_RETRY_AFTER:
            raise LtiError(f"{what}: the platform asks to wait {asked:.0f} s (Retry-After); run the "
                           "same command again later (scores already posted are remembered)")
        sleep(asked if asked is not None else min(MAX_DELAY, FIRST_DELAY * 2 ** (attempt - 1)))
    raise AssertionError("unreachable")
