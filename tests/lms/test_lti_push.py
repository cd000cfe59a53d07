"""lti push against a platform that checks what a real one checks."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug import Response

from autograder.lms.lti import retrying

from .cohort import DUE, FORMULA, sealed, write_cohort
from .lti_platform import CLIENT_ID, ISSUER, KEY_ID, SCORE_SCOPE, FakePlatform

USERS = {"ada": "u-ada", "ben": "u-ben", "carl": "u-carl", "dev": "u-dev", FORMULA: "u-fay"}


def _pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def tool_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def platform(httpserver, tool_key):
    return FakePlatform(httpserver, tool_key.public_key())


@pytest.fixture
def slept(monkeypatch):
    delays: list[float] = []
    monkeypatch.setattr(retrying, "sleep", delays.append)
    return delays


def _setup(tmp_path, platform, tool_key, users=USERS, lineitem=None, **extra):
    key = tmp_path / "keys" / "tool-private.pem"
    key.parent.mkdir()
    key.write_bytes(_pem(tool_key))
    ids = tmp_path / "lti_users.csv"
    ids.write_text("student,lti_user_id\n" + "".join(
        f'"{name.replace(chr(34), chr(34) * 2)}",{uid}\n' for name, uid in users.items()))
    toml = tmp_path / "platform.toml"
    values = {"issuer": ISSUER, "client_id": CLIENT_ID, "deployment_id": "1:abc",
              "token_url": platform.token_url, "key_id": KEY_ID, "private_key": "keys/tool-private.pem",
              "lineitem": lineitem or platform.lineitem, "id_map": "lti_users.csv", **extra}
    toml.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items() if v is not None))
    return toml


def _push(cli, results, toml, *extra):
    return cli("lti", "push", results, "--platform", toml, *extra)


def test_push_posts_every_score_with_a_verified_token(cli, results, tmp_path, platform, tool_key, slept):
    ran = _push(cli, results, _setup(tmp_path, platform, tool_key))
    by_user = {s["userId"]: s for s in platform.scores}
    assert set(by_user) == set(USERS.values())
    ada = by_user["u-ada"]
    assert (ada["scoreGiven"], ada["scoreMaximum"]) == (114, 115)
    assert (ada["activityProgress"], ada["gradingProgress"]) == ("Completed", "FullyGraded")
    assert datetime.fromisoformat(ada["timestamp"]).utcoffset() is not None
    assert ada["comment"] == "Missed: Quiz Q01: What does an RNN carry from one time step to the next?"
    assert "forward: reads out the last time step" in by_user["u-ben"]["comment"]
    carl = by_user["u-carl"]  # not_run: pending, never a zero
    assert carl["gradingProgress"] == "PendingManual" and "scoreGiven" not in carl
    assert platform.token_requests == 1 and slept == []
    assert ran.code == 1 and "carl (carl.json): not_run" in ran.err and "PendingManual" in ran.err
    assert "5 scores posted" in ran.out


def test_clean_push_exits_0_and_rerun_posts_only_changes(cli, tmp_path, platform, tool_key, slept):
    folder = write_cohort(tmp_path / "r", {"ben": dict(core=74.0, quiz=10.0, missed=("x",),
                                                       submitted="2026-12-02T10:30:00+00:00"),
                                           "dev": dict(core=86.0, quiz=15.0,
                                                       submitted="2026-11-30T09:00:00+00:00")})
    toml = _setup(tmp_path, platform, tool_key)
    first = _push(cli, folder, toml)
    assert first.code == 0, first.err
    assert len(platform.scores) == 2
    state = json.loads((folder / ".lti-state.json").read_text())
    assert state["version"] == 1
    again = _push(cli, folder, toml)
    assert again.code == 0 and len(platform.scores) == 2 and platform.token_requests == 1
    assert "0 scores posted" in again.out and "2 unchanged" in again.out
    # a late penalty changes ben's score: only ben goes again
    late = _push(cli, folder, toml, "--due", DUE, "--late-penalty", "10%/day")
    assert late.code == 0, late.err
    assert [s["userId"] for s in platform.scores[2:]] == ["u-ben"]
    assert platform.scores[2]["scoreGiven"] == 67.2
    assert platform.scores[2]["comment"].startswith("Late penalty: submitted 1 day 1 h 30 min")
    forced = _push(cli, folder, toml, "--force")
    assert forced.code == 0 and len(platform.scores) == 5


def test_a_regraded_student_keeps_the_late_penalty_in_the_lms(cli, results, tmp_path, platform, tool_key,
                                                              slept):
    toml = _setup(tmp_path, platform, tool_key)
    first = _push(cli, results, toml, "--due", DUE, "--late-penalty", "10%/day")
    assert [s["scoreGiven"] for s in platform.scores if s["userId"] == "u-ben"] == [67.2], first.err
    # `grade-all --only ben --force` writes ben's results again, from scratch
    data = json.loads((results / "ben.json").read_text())
    data["score"] = data["extra_data"].pop("late")["score_before"]
    data["output"] = data["output"].split("\n", 1)[1]
    (results / "ben.json").write_text(json.dumps(sealed(data)))
    again = _push(cli, results, toml)  # no --due: the folder's policy still applies
    assert "late policy kept with" in again.out
    forced = _push(cli, results, toml, "--force")
    assert forced.code == 1, forced.err
    assert [s["scoreGiven"] for s in platform.scores if s["userId"] == "u-ben"] == [67.2, 67.2]


def test_dry_run_prints_the_scores_and_touches_nothing(cli, results, tmp_path, platform, tool_key, httpserver):
    before = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    ran = _push(cli, results, _setup(tmp_path, platform, tool_key), "--dry-run",
                "--due", DUE, "--late-penalty", "10%/day")
    assert ran.code == 1  # carl still needs a regrade
    assert f"would POST 5 score(s) to {platform.lineitem.split('?')[0]}/scores?type_id=assignment" in ran.out
    assert '"userId": "u-ben"' in ran.out and '"scoreGiven": 67.2' in ran.out
    assert '"gradingProgress": "PendingManual"' in ran.out
    assert httpserver.log == [] and platform.token_requests == 0
    assert {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()} == before


def test_an_expired_token_is_renewed_once(cli, results, tmp_path, platform, tool_key, slept):
    toml = _setup(tmp_path, platform, tool_key)

    def expire_after_two(request):
        if len(platform.scores) == 2 and platform.token_requests == 1:
            platform.revoke()
        return platform._score(request)

    platform.serve_scores_with(expire_after_two)
    ran = _push(cli, results, toml)
    assert len(platform.scores) == 5 and platform.token_requests == 2
    assert "5 scores posted" in ran.out


def test_a_token_the_platform_keeps_refusing_stops_the_push(cli, results, tmp_path, platform, tool_key, slept):
    platform.reject_all_tokens = True
    ran = _push(cli, results, _setup(tmp_path, platform, tool_key))
    assert ran.code == 2 and platform.token_requests == 2
    assert "the platform refuses a token it has just issued (HTTP 401" in ran.err
    assert "Traceback" not in ran.err


def test_429_waits_as_long_as_retry_after_says(cli, results, tmp_path, platform, tool_key, slept):
    platform.fail_scores = [(429, {"Retry-After": "7"})]
    ran = _push(cli, results, _setup(tmp_path, platform, tool_key))
    assert slept == [7.0] and len(platform.scores) == 5 and "5 scores posted" in ran.out


def test_5xx_backs_off_exponentially_then_succeeds(cli, results, tmp_path, platform, tool_key, slept):
    platform.fail_scores = [(503, {}), (502, {}), (500, {})]
    _push(cli, results, _setup(tmp_path, platform, tool_key))
    assert slept == [1.0, 2.0, 4.0] and len(platform.scores) == 5


def test_a_platform_that_stays_down_keeps_what_was_posted(cli, results, tmp_path, platform, tool_key, slept):
    toml = _setup(tmp_path, platform, tool_key)

    def down_after_two(request):
        if len(platform.scores) >= 2:
            return Response("maintenance", status=503)
        return platform._score(request)

    platform.serve_scores_with(down_after_two)
    ran = _push(cli, results, toml)
    assert ran.code == 2 and "HTTP 503" in ran.err and "after 5 tries" in ran.err
    assert "2 of 5 scores were posted before this error" in ran.err
    assert slept == [1.0, 2.0, 4.0, 8.0]
    state = json.loads((results / ".lti-state.json").read_text())
    assert len(next(iter(state["platforms"].values()))) == 2
    # back up: the re-run posts the other three only
    platform.serve_scores_with(platform._score)
    _push(cli, results, toml)
    assert len(platform.scores) == 5 and len({s["userId"] for s in platform.scores}) == 5


def test_retry_after_too_long_asks_for_a_rerun(cli, results, tmp_path, platform, tool_key, slept):
    platform.fail_scores = [(429, {"Retry-After": "3600"})]
    ran = _push(cli, results, _setup(tmp_path, platform, tool_key))
    assert ran.code == 2 and "asks to wait 3600 s (Retry-After)" in ran.err and slept == []


def test_a_student_missing_from_the_id_map_is_named_and_not_posted(cli, results, tmp_path, platform,
                                                                   tool_key, slept):
    users = {k: v for k, v in USERS.items() if k != "dev"}
    ran = _push(cli, results, _setup(tmp_path, platform, tool_key, users=users))
    assert "u-dev" not in {s["userId"] for s in platform.scores} and len(platform.scores) == 4
    assert "dev (dev.json): no LTI user id in lti_users.csv; add a row 'dev,<LTI user id>'" in ran.err
    assert ran.code == 1


def test_a_rejected_key_is_one_clear_line(cli, results, tmp_path, platform, tool_key, slept):
    toml = _setup(tmp_path, platform, tool_key)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "keys" / "tool-private.pem").write_bytes(_pem(other))
    ran = _push(cli, results, toml)
    assert ran.code == 2 and platform.scores == []
    error = [line for line in ran.err.splitlines() if "rejected the tool's key" in line]
    assert len(error) == 1
    assert "HTTP 401 (invalid_client" in error[0] and CLIENT_ID in error[0] and KEY_ID in error[0]
    assert "tool-private.pem" in error[0]


def test_missing_score_scope_is_explained(cli, results, tmp_path, platform, tool_key, slept):
    platform.granted_scope = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
    ran = _push(cli, results, _setup(tmp_path, platform, tool_key))
    assert ran.code == 2 and f"but not the score scope {SCORE_SCOPE}" in ran.err


@pytest.mark.parametrize("change, message", [
    ({"lineitem_url": "https://x"}, "unknown key(s) lineitem_url"),
    ({"key_id": None}, "missing key_id"),
    ({"token_url": "http://lms.example/token"}, "token_url = 'http://lms.example/token' is not an https:// URL"),
    ({"private_key": "keys/nowhere.pem"}, "private_key"),
    ({"client_id": 42}, "client_id must be a non-empty text in quotes"),
])
def test_platform_file_errors_name_the_key(cli, results, tmp_path, platform, tool_key, change, message):
    ran = _push(cli, results, _setup(tmp_path, platform, tool_key, **change))
    assert ran.code == 2 and message in ran.err and "platform.toml" in ran.err


def test_not_a_pem_key(cli, results, tmp_path, platform, tool_key, slept):
    toml = _setup(tmp_path, platform, tool_key)
    (tmp_path / "keys" / "tool-private.pem").write_text("not a key")
    ran = _push(cli, results, toml)
    assert ran.code == 2 and "is not an unencrypted PEM private key" in ran.err and "openssl genpkey" in ran.err


def test_scores_url_keeps_the_query_string():
    from autograder.lms.lti.scores import scores_url

    assert scores_url("https://lms/api/lti/courses/7/line_items/31?type_id=3") == \
        "https://lms/api/lti/courses/7/line_items/31/scores?type_id=3"
    assert scores_url("https://lms/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1") == \
        "https://lms/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=1"
    assert scores_url("https://lms/li/9/") == "https://lms/li/9/scores"


def test_lti_help_documents_the_push(cli):
    ran = cli("lti", "push", "--help")
    assert ran.code == 0
    for words in ["--platform", "--dry-run", "PendingManual", "student,lti_user_id", ".lti-state.json",
                  "Retry-After", "Exit status"]:
        assert words in ran.out, words


@pytest.mark.parametrize("lifetime", [60, 30])
def test_a_short_lived_token_is_reused_until_shortly_before_it_expires(cli, results, tmp_path, platform,
                                                                      tool_key, slept, lifetime):
    platform.expires_in = lifetime
    ran = _push(cli, results, _setup(tmp_path, platform, tool_key))
    assert len(platform.scores) == 5 and platform.token_requests == 1, ran.err


def test_a_token_is_renewed_shortly_before_it_expires(monkeypatch):
    from autograder.lms.lti import token as token_module

    now = [1000.0]
    monkeypatch.setattr(token_module.time, "time", lambda: now[0])
    token = token_module.Token.issued("t", lifetime=60)
    assert token.fresh()
    now[0] += 50
    assert token.fresh()  # 10 s left: still good for a score
    now[0] += 6
    assert not token.fresh()  # 4 s left: take a new one before it runs out mid-request
    long_lived = token_module.Token.issued("u", lifetime=3600)
    now[0] += 3600 - 61
    assert long_lived.fresh()
    now[0] += 2
    assert not long_lived.fresh()


def test_jwks_prints_the_public_key_canvas_asks_for(cli, results, tmp_path, platform, tool_key):
    import jwt

    toml = _setup(tmp_path, platform, tool_key)
    ran = cli("lti", "jwks", "--platform", toml)
    assert ran.code == 0, ran.err
    jwk = json.loads(ran.out)
    assert (jwk["kty"], jwk["kid"], jwk["alg"], jwk["use"]) == ("RSA", KEY_ID, "RS256", "sig")
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)  # nothing private
    public = jwt.algorithms.RSAAlgorithm.from_jwk(jwk)
    assert public.public_numbers() == tool_key.public_key().public_numbers()
    signed = jwt.encode({"iss": CLIENT_ID}, tool_key, algorithm="RS256", headers={"kid": KEY_ID})
    assert jwt.decode(signed, public, algorithms=["RS256"])["iss"] == CLIENT_ID
    keyset = json.loads(cli("lti", "jwks", "--platform", toml, "--set").out)
    assert keyset == {"keys": [jwk]}
    pem = cli("lti", "jwks", "--platform", toml, "--pem").out
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE" not in pem


def test_jwks_without_a_usable_key_is_one_line(cli, results, tmp_path, platform, tool_key):
    toml = _setup(tmp_path, platform, tool_key)
    (tmp_path / "keys" / "tool-private.pem").write_text("not a key")
    ran = cli("lti", "jwks", "--platform", toml)
    assert ran.code == 2 and "is not an unencrypted PEM private key" in ran.err and ran.out == ""
