"""What was posted, so that a re-run posts only the scores that changed.

``RESULTS_DIR/.lti-state.json`` (a dot-file, so never read as a student's
results), per platform and line item: LTI user id -> the Score last accepted
(without its timestamp), the student and when. Written atomically after every
accepted score: an interrupted push loses nothing. Delete it to post everything
again, or use ``--force``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from .. import atomic
from . import LtiError

FILENAME = ".lti-state.json"
VERSION = 1


class State:
    def __init__(self, path: Path, platform_key: str, data: dict):
        self.path, self.platform_key, self.data = path, platform_key, data

    @classmethod
    def load(cls, results: Path, platform_key: str) -> State:
        path = results / FILENAME
        data = {"version": VERSION, "platforms": {}}
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(data, dict) or not isinstance(data.get("platforms"), dict):
                    raise ValueError("not a state file")
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise LtiError(f"{path} cannot be read ({exc}); delete it to post every score again") \
                    from None
        return cls(path, platform_key, data)

    def _posted(self) -> dict:
        return self.data["platforms"].setdefault(self.platform_key, {})

    def unchanged(self, body: dict) -> bool:
        entry = self.data["platforms"].get(self.platform_key, {}).get(body["userId"])
        return isinstance(entry, dict) and entry.get("score") == body

    def remember(self, student: str, body: dict) -> None:
        self._posted()[body["userId"]] = {
            "student": student, "score": body,
            "posted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        atomic.write_json(self.path, self.data, mode=0o600)
