"""The OAuth2 client-credentials token, asked for with a signed JWT (RFC 7523, LTI 1.3 security).

The client assertion: header ``alg`` RS256 and ``kid`` (the key id the
platform knows the tool's public key by); claims ``iss`` = ``sub`` = the
client id, ``aud`` = the token URL (or ``token_audience``), ``iat``, a short
``exp`` and a fresh ``jti``. Signed by pyjwt with the cryptography backend.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import LtiError, retrying
from .platform import Platform

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300  # seconds
REFRESH_MARGIN = 60  # take a new token at most this long before the old one expires
REFRESH_SHARE = 0.1  # ... and at least this share of its lifetime before (a 60 s token: 6 s)


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float  # time.time() seconds
    margin: float = REFRESH_MARGIN  # renewed this long before it expires

    @classmethod
    def issued(cls, value: str, lifetime: float) -> Token:
        """A token valid for ``lifetime`` seconds from now, used until shortly before it expires:
        a tenth of its lifetime before, at most a minute (a 60 s token serves 54 s of scores)."""
        lifetime = max(0.0, lifetime)
        return cls(value, time.time() + lifetime, min(REFRESH_MARGIN, lifetime * REFRESH_SHARE))

    def fresh(self) -> bool:
        return time.time() < self.expires_at - self.margin


def load_private_key(platform: Platform) -> rsa.RSAPrivateKey:
    try:
        data = platform.private_key.read_bytes()
        key = serialization.load_pem_private_key(data, password=None)
    except OSError as exc:
        raise LtiError(f"{platform.path}: private_key {platform.private_key} cannot be read "
                       f"({exc.strerror or exc})") from None
    except (ValueError, TypeError) as exc:
        raise LtiError(f"{platform.path}: private_key {platform.private_key} is not an unencrypted PEM "
                       f"private key ({exc}); make one with `openssl genpkey -algorithm RSA "
                       "-pkeyopt rsa_keygen_bits:2048 -out tool-private.pem`") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise LtiError(f"{platform.path}: private_key {platform.private_key} is not an RSA key; "
                       "LTI 1.3 signs with RS256")
    return key


def client_assertion(platform: Platform, key: rsa.RSAPrivateKey, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"iss": platform.client_id, "sub": platform.client_id, "aud": platform.token_audience,
              "iat": issued, "exp": issued + ASSERTION_LIFETIME, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": platform.key_id})


def _oauth_error(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", response.text.strip()[:200]
    if not isinstance(body, dict):
        return "", str(body)[:200]
    return str(body.get("error", "")), str(body.get("error_description", ""))[:200]


def request_token(session: requests.Session, platform: Platform, key: rsa.RSAPrivateKey) -> Token:
    form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(platform, key), "scope": SCORE_SCOPE}
    what = f"the token request to {platform.token_url}"
    response = retrying.send(session, "POST", platform.token_url, what, data=form,
                             headers={"Accept": "application/json"})
    if response.status_code != 200:
        error, description = _oauth_error(response)
        detail = f" ({error}{': ' + description if description else ''})" if error or description else ""
        if response.status_code == 401 or error in ("invalid_client", "unauthorized_client"):
            raise LtiError(
                f"the platform rejected the tool's key: HTTP {response.status_code}{detail} from "
                f"{platform.token_url}. Check in the LMS that client_id {platform.client_id!r} has the "
                f"public key of {platform.private_key.name} under key id {platform.key_id!r} "
                f"(set in {platform.path.name})")
        if error == "invalid_scope":
            raise LtiError(f"the platform refused the score scope{detail}: allow the tool to post "
                           "scores (LTI Advantage services / AGS) in its registration")
        raise LtiError(f"{what} failed: HTTP {response.status_code}{detail}")
    try:
        body = response.json()
        value = body["access_token"]
        lifetime = float(body.get("expires_in", 3600))
    except (ValueError, KeyError, TypeError):
        raise LtiError(f"{what}: the answer holds no access_token; is token_url the platform's "
                       "OAuth2 token endpoint?") from None
    granted = body.get("scope")
    if isinstance(granted, str) and SCORE_SCOPE not in granted.split():
        raise LtiError(f"the platform granted {granted!r} but not the score scope {SCORE_SCOPE}: "
                       "allow the tool to post scores in its registration")
    return Token.issued(str(value), lifetime)
