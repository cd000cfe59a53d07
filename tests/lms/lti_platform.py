"""A real HTTP server acting as an LTI 1.3 platform (pytest-httpserver), strict like a real one.

It verifies the client assertion (RS256 signature with the tool's public key,
kid, iss = sub = client id, audience = the token URL, expiry, a short
lifetime, no replayed jti), checks the grant type and the scope, issues
tokens, and records every Score posted with a valid token and the right
content type. Tests script its failures: ``fail_scores`` (answers to give
before accepting), ``revoke()`` (every issued token stops working).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import jwt
from werkzeug import Request, Response

CLIENT_ID = "10000000000042"
KEY_ID = "rnn-grader-test"
ISSUER = "https://canvas.test.example"
TOKEN_PATH = "/login/oauth2/token"
LINEITEM_PATH = "/api/lti/courses/7/line_items/31"
LINEITEM_QUERY = "type_id=assignment"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


def _json(status: int, body: dict, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


@dataclass
class FakePlatform:
    server: object
    public_key: object
    granted_scope: str = SCORE_SCOPE
    fail_scores: list[tuple[int, dict]] = field(default_factory=list)  # (status, headers), in order
    reject_all_tokens: bool = False
    expires_in: int = 3600  # the lifetime of the tokens it issues, in seconds
    tokens: set[str] = field(default_factory=set)
    jtis: set[str] = field(default_factory=set)
    token_requests: int = 0
    scores: list[dict] = field(default_factory=list)
    score_requests: int = 0

    def __post_init__(self):
        self.serve_scores_with(self._score)

    def serve_scores_with(self, handler) -> None:
        """Answer score posts with ``handler`` (which may call ``self._score``)."""
        self.server.clear_all_handlers()
        self.server.expect_request(TOKEN_PATH, method="POST").respond_with_handler(self._token)
        self.server.expect_request(LINEITEM_PATH + "/scores", method="POST").respond_with_handler(handler)

    @property
    def token_url(self) -> str:
        return self.server.url_for(TOKEN_PATH)

    @property
    def lineitem(self) -> str:
        return self.server.url_for(LINEITEM_PATH) + "?" + LINEITEM_QUERY

    def revoke(self) -> None:
        self.tokens.clear()

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        form = parse_qs(request.get_data(as_text=True))
        one = {k: v[0] for k, v in form.items()}
        if one.get("grant_type") != "client_credentials" or one.get("client_assertion_type") != \
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return _json(400, {"error": "unsupported_grant_type"})
        assertion = one.get("client_assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
            if header.get("kid") != KEY_ID or header.get("alg") != "RS256":
                raise jwt.InvalidTokenError(f"unknown kid/alg {header}")
            claims = jwt.decode(assertion, self.public_key, algorithms=["RS256"], audience=self.token_url,
                                issuer=CLIENT_ID, options={"require": ["exp", "iat", "jti", "sub", "aud"]})
        except jwt.InvalidTokenError as exc:
            return _json(401, {"error": "invalid_client", "error_description": str(exc)})
        if claims["sub"] != CLIENT_ID or claims["exp"] - claims["iat"] > 600 or claims["jti"] in self.jtis:
            return _json(401, {"error": "invalid_client", "error_description": "bad claims"})
        if claims["exp"] < time.time():
            return _json(401, {"error": "invalid_client", "error_description": "assertion expired"})
        self.jtis.add(claims["jti"])
        if SCORE_SCOPE not in one.get("scope", "").split():
            return _json(400, {"error": "invalid_scope"})
        token = f"token-{self.token_requests}"
        self.tokens.add(token)
        return _json(200, {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in,
                           "scope": self.granted_scope})

    def _score(self, request: Request) -> Response:
        self.score_requests += 1
        assert request.query_string.decode() == LINEITEM_QUERY, request.query_string
        if self.fail_scores:
            status, headers = self.fail_scores.pop(0)
            return _json(status, {"errors": [{"message": "try again"}]}, headers)
        auth = request.headers.get("Authorization", "")
        if self.reject_all_tokens or not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return _json(401, {"errors": [{"message": "Invalid access token"}]},
                         {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if request.headers.get("Content-Type") != SCORE_TYPE:
            return _json(415, {"errors": [{"message": "bad content type"}]})
        body = json.loads(request.get_data(as_text=True))
        self.scores.append(body)
        return _json(200, {"resultUrl": self.server.url_for(LINEITEM_PATH + "/results/1")})
