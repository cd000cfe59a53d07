"""``lti jwks``: the tool's public key, as the LMS asks for it when the tool is registered.

Canvas (Developer Keys > LTI Key > Public JWK) takes one JWK; a JWKS URL serves a key set
(``{"keys": [...]}``); Moodle's "Public key" field takes PEM. Each is made from the tool's
private key with its key id (``kid``), so the platform finds the key that signed a client
assertion. Nothing private is printed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import LtiError
from .platform import EXAMPLE, tomllib


def key_settings(platform_path: Path) -> tuple[Path, str]:
    """(private key path, key id) from platform.toml; only those two keys are needed (at registration
    time the client id and line item are not known yet)."""
    try:
        data = tomllib.loads(platform_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LtiError(f"--platform {platform_path}: no such file; start from {EXAMPLE}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LtiError(f"--platform {platform_path}: cannot be read ({exc})") from None
    for key in ("private_key", "key_id"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise LtiError(f"{platform_path}: {key} must be a non-empty text in quotes (see {EXAMPLE.name})")
    file = Path(data["private_key"]).expanduser()
    return (file if file.is_absolute() else platform_path.parent / file), data["key_id"].strip()


def public_jwk(private_key_path: Path, key_id: str, where: Path) -> tuple[dict, bytes]:
    """(the public JWK with kid, alg and use; the public key as PEM)."""
    import jwt
    from cryptography.hazmat.primitives import serialization

    from .platform import Platform
    from .token import load_private_key

    stand_in = Platform(where, "", "", "", "", "", key_id, private_key_path, "", None)
    public = load_private_key(stand_in).public_key()
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(public, as_dict=True)
    jwk.update(kid=key_id, alg="RS256", use="sig")
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return jwk, pem


def main(platform_path: Path | None, key: Path | None, key_id: str | None, as_set: bool, pem: bool) -> int:
    try:
        if platform_path is not None:
            key, key_id = key_settings(platform_path)
        jwk, public_pem = public_jwk(key, key_id, platform_path or key)
    except LtiError as exc:
        print(f"lti jwks: {exc}", file=sys.stderr)
        return 2
    if pem:
        sys.stdout.write(public_pem.decode("ascii"))
    else:
        print(json.dumps({"keys": [jwk]} if as_set else jwk, indent=2))
    return 0
