"""Feedback pages for students and the cohort report for instructors, from results files alone.

Entry points (none imports torch, the grader, the reference or the hidden checks)::

    write_student(results, out_dir, stem=None) -> Path
        out_dir/<stem>.html and out_dir/<stem>.md for one results dict (as json.load gave it);
        returns the .html path. grade-all calls it after each student with
        out_dir = OUT/feedback and its own file stem.
    write_report(results_dir, untrusted=None) -> Path
        results_dir/report.html from every results file in results_dir (those named in
        ``untrusted``, which grade-all did not seal, listed as such instead).
    write_all(results_dir) -> list[Path]
        both, for every results file in results_dir (OUT/feedback/<stem>.html, .md and
        OUT/report.html); returns every path written, the report last.

Every file is written atomically (a temporary file beside it, then ``os.replace``), so a
reader never sees half a page and a crash leaves the previous page. The pages are single
self-contained files: inline CSS and SVG, no script, nothing fetched (their
Content-Security-Policy forbids it too), printable.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

__all__ = ["FEEDBACK_DIR", "REPORT_NAME", "load_results", "render_report", "render_student",
           "safe_stem", "write_all", "write_report", "write_student"]

FEEDBACK_DIR = "feedback"
REPORT_NAME = "report.html"
# One path component that every file system takes: no separators, no controls, no leading dot
# (hidden, "..") or dash (an option to a shell tool), no trailing dot or space (Windows).
_STEM_BAD = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]|^[.\-\s]|[.\s]$')


def safe_stem(name: str) -> str:
    """A file stem for ``name``: itself when already safe, else a cleaned form plus a short hash."""
    name = name if isinstance(name, str) else str(name)
    if name and len(name.encode("utf-8", "surrogatepass")) <= 150 and not _STEM_BAD.search(name) \
            and name.isprintable() and name == name.encode("utf-8", "replace").decode("utf-8"):
        return name
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")[:60]
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned}-{digest}" if cleaned else f"student-{digest}"


def _write_atomic(path: Path, content: str) -> Path:
    handle = tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                         delete=False, encoding="utf-8", errors="replace", newline="\n")
    try:
        with handle:
            handle.write(content)
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return path


def render_student(results: dict, stem: str = "") -> tuple[str, str]:
    """(HTML, Markdown) of one student's feedback page."""
    from . import model, student

    view = model.read(results, stem)
    return student.render_html(view), student.render_md(view)


def write_student(results: dict, out_dir: str | os.PathLike, stem: str | None = None) -> Path:
    """Write ``out_dir/<stem>.html`` and ``.md``; returns the HTML page's path.

    ``stem`` is the results file's stem (grade-all's safe form of the name); without it, a
    safe stem is made from ``extra_data.student``. An unsafe stem (a path, a dot file) is
    made safe rather than followed.
    """
    from . import model

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if stem is None:
        stem = safe_stem(model.text(model.as_dict(model.as_dict(results).get("extra_data")).get("student"))
                         or "student")
    else:
        stem = safe_stem(stem)
    html_text, md_text = render_student(results, stem)
    _write_atomic(out / f"{stem}.md", md_text)
    return _write_atomic(out / f"{stem}.html", html_text)


def load_results(results_dir: str | os.PathLike, untrusted: dict[str, str] | None = None):
    """([(stem, results dict)], [Unreadable]) for the ``*.json`` results files of a folder.

    JSON files that are not results (no ``tests`` nor ``extra_data``) are left out; a file
    that cannot be read or parsed is reported, not raised. ``untrusted`` (file name -> why:
    results files grade-all did not seal) are reported too, never shown as a student's.
    """
    from .report import Unreadable

    found, bad = [], []
    untrusted = untrusted or {}
    for path in sorted(Path(results_dir).glob("*.json")):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.name in untrusted:
            bad.append(Unreadable(path.stem, untrusted[path.name], "not sealed"))
            continue
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError) as exc:
            bad.append(Unreadable(path.stem, f"{type(exc).__name__}: {exc}"))
            continue
        if not isinstance(data, dict) or not ("tests" in data or "extra_data" in data):
            continue
        found.append((path.stem, data))
    return found, bad


def render_report(results_dir: str | os.PathLike, untrusted: dict[str, str] | None = None) -> str:
    from . import model, report

    found, bad = load_results(results_dir, untrusted)
    views = [model.read(r, safe_stem(stem)) for stem, r in found]
    return report.render(views, bad, feedback_dir=FEEDBACK_DIR)


def write_report(results_dir: str | os.PathLike, untrusted: dict[str, str] | None = None) -> Path:
    """Write ``results_dir/report.html`` from the results files there; returns its path."""
    root = Path(results_dir)
    return _write_atomic(root / REPORT_NAME, render_report(root, untrusted))


def write_all(results_dir: str | os.PathLike, untrusted: dict[str, str] | None = None) -> list[Path]:
    """Every student's page (``feedback/<stem>.html``, ``.md``) and ``report.html``.

    Reads each results file once. Returns the paths written, the report last.
    """
    from . import model, report, student

    root = Path(results_dir)
    found, bad = load_results(root, untrusted)
    out = root / FEEDBACK_DIR
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    views = []
    for stem, results in found:
        stem = safe_stem(stem)
        view = model.read(results, stem)
        views.append(view)
        written.append(_write_atomic(out / f"{stem}.html", student.render_html(view)))
        written.append(_write_atomic(out / f"{stem}.md", student.render_md(view)))
    written.append(_write_atomic(root / REPORT_NAME, report.render(views, bad, feedback_dir=FEEDBACK_DIR)))
    return written
