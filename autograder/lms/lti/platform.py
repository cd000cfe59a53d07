"""``platform.toml``: the LMS's registration of this tool, one file per course's line item.

Every key is described in ``platform.example.toml`` beside this package.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from . import LtiError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REQUIRED = ("issuer", "client_id", "deployment_id", "token_url", "key_id", "private_key", "lineitem")
OPTIONAL = ("token_audience", "id_map")
EXAMPLE = Path(__file__).resolve().parent.parent / "platform.example.toml"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class Platform:
    path: Path
    issuer: str
    client_id: str
    deployment_id: str
    token_url: str
    token_audience: str  # the aud of the client assertion (default: token_url)
    key_id: str
    private_key: Path
    lineitem: str
    id_map: Path | None

    @property
    def state_key(self) -> str:
        """Scores remembered for one platform and line item never count for another."""
        return f"{self.issuer} {self.client_id} {self.lineitem}"


def _url(path: Path, key: str, value: str) -> str:
    parts = urlsplit(value)
    local = parts.hostname in LOCAL_HOSTS
    if parts.scheme != "https" and not (parts.scheme == "http" and local) or not parts.netloc:
        raise LtiError(f"{path}: {key} = {value!r} is not an https:// URL")
    return value


def load(path: str | Path) -> Platform:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LtiError(f"--platform {path}: no such file; start from {EXAMPLE}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LtiError(f"--platform {path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise LtiError(f"--platform {path}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise LtiError(f"{path}: unknown key(s) {', '.join(unknown)}; the keys are "
                       f"{', '.join(REQUIRED + OPTIONAL)} (see {EXAMPLE.name})")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise LtiError(f"{path}: missing {', '.join(missing)} (see {EXAMPLE})")
    for key, value in data.items():
        if not isinstance(value, str) or not value.strip():
            raise LtiError(f"{path}: {key} must be a non-empty text in quotes")
    here = path.parent

    def local_file(key: str) -> Path:
        file = Path(data[key]).expanduser()
        return file if file.is_absolute() else here / file

    private_key = local_file("private_key")
    if not private_key.is_file():
        raise LtiError(f"{path}: private_key {private_key} does not exist (a path relative to "
                       f"{path.name}'s folder, or absolute)")
    return Platform(
        path=path, issuer=data["issuer"].strip(), client_id=data["client_id"].strip(),
        deployment_id=data["deployment_id"].strip(),
        token_url=_url(path, "token_url", data["token_url"].strip()),
        token_audience=data.get("token_audience", data["token_url"]).strip(),
        key_id=data["key_id"].strip(), private_key=private_key,
        lineitem=_url(path, "lineitem", data["lineitem"].strip()),
        id_map=local_file("id_map") if "id_map" in data else None,
    )
