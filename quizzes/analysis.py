"""Item analysis of a cohort's answers.

RESPONSES is either

- a CSV file with a header ``student_id,q01,q02,...`` and one row per student;
  a cell holds canonical option ids (``b``, or ``a;c`` / ``a c`` for several);
  an empty cell is "not answered"; or
- a cohort folder, as the grader reads it (see :func:`read_cohort`):
  ``COHORT/<student>.toml`` (the student id from ``student_id`` in the file, else
  the file name), ``COHORT/<student>/.../quiz_answers.toml`` and notebooks
  ``COHORT/<student>/.../*.ipynb`` whose cell tagged ``quiz-answers`` holds the
  answers (nbgrader: ``submitted/<student>/<assignment>/``), the student being
  the first path component under the cohort folder.

Per question (item scores are points earned; fractions are score / points):

- difficulty ``p``: mean fraction of the points earned;
- item-rest point-biserial ``r``: Pearson correlation of the item score with the
  total of the *other* items;
- discrimination ``D``: mean fraction in the top 27 % of students by total minus
  that in the bottom 27 % (group size ``max(1, round(0.27 n))``, ties broken by
  student id);
- option shares: fraction of students who chose each option, and who left it blank.

For the whole quiz: Cronbach's alpha ``k/(k-1) (1 - sum var_i / var_total)``
(population variances; equal to KR-20 when every item is scored 0/1) and the
standard error of measurement ``SEM = sd_total sqrt(1 - alpha)``.

A student who answered no question at all (no answer file, or an empty one) did not take the
quiz: they are left out of every statistic and counted (``QuizStats.left_out``); counted as
blank answers they would flag every item hard and inflate the reliability.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from . import ANSWERS_FILENAME, MAX_NOTEBOOK_BYTES, answers_from_notebook
from .answers import MAX_TEXT_BYTES, AnswerSheet, RawAnswer, parse_answers
from .bank import Bank
from .scoring import DEFAULT_SCHEME, score_sheet


@dataclass
class ItemStats:
    qid: str
    points: float
    difficulty: float
    point_biserial: float | None
    discrimination: float
    shares: dict[str, float]  # option id -> share choosing it; "blank" -> share blank
    keys: frozenset


@dataclass
class QuizStats:
    n_students: int  # those who answered at least one question: the analysis is theirs
    items: list[ItemStats]
    alpha: float | None
    kr20: bool  # True when all items were scored 0/1 (alpha is KR-20)
    sem: float | None
    mean: float
    sd: float
    max_total: float
    left_out: int = 0  # students who handed in no answer at all (not counted as blank answers)


# Walking a cohort folder: students' files are untrusted, the walk is bounded.
MAX_DEPTH = 6  # folders below the cohort folder (nbgrader needs 2)
MAX_ENTRIES = 200_000  # directory entries looked at, in all
SKIP_DIRS = {"__pycache__", "node_modules", "site-packages"}  # and every hidden folder


@dataclass
class Cohort:
    responses: list[tuple[str, AnswerSheet]]  # (student, sheet), sorted by student
    problems: list[str]  # per file or student: what was skipped and why
    sources: dict[str, str]  # student -> the file its answers came from


def read_responses(path: str | Path, bank: Bank | None = None) -> list[tuple[str, AnswerSheet]]:
    """(student, sheet) pairs from a CSV file or a cohort folder; ValueError if none."""
    p = Path(path)
    if p.is_dir():
        cohort = read_cohort(p)
        if not cohort.responses:
            raise ValueError(_nothing_found(p, cohort))
        return cohort.responses
    text = p.read_text(encoding="utf-8-sig")
    return read_responses_csv(text, str(p))


def _nothing_found(folder: Path, cohort: Cohort) -> str:
    why = f" ({len(cohort.problems)} files skipped: {cohort.problems[0]})" if cohort.problems else ""
    return (f"{folder}: no answer files (quiz_answers.toml, *.toml at the top, or notebooks "
            f"with a quiz-answers cell){why}")


def read_cohort(folder: str | Path) -> Cohort:
    """Every student's answers under ``folder``, as the grader lays a cohort out.

    - ``folder/<name>.toml``: one student per file; the id is ``student_id`` in the
      file, else ``<name>`` (a flat folder of answer files);
    - ``folder/<student>/**/quiz_answers.toml``: the student is the first path
      component under ``folder``, whatever lies between (nbgrader:
      ``submitted/<student>/<assignment>/``);
    - ``folder/<student>.ipynb`` and ``folder/<student>/**/*.ipynb``: the notebook's
      cell tagged ``quiz-answers``.

    One answer source per student: the shallowest ``quiz_answers.toml``, else the
    shallowest notebook with a quiz cell (ties: by path); the others are reported.
    Symbolic links are never followed, hidden folders (``.ipynb_checkpoints``...)
    are skipped, the walk stops at :data:`MAX_DEPTH` folders and
    :data:`MAX_ENTRIES` entries, and a file that cannot be read is reported in
    ``problems`` and skipped: reading goes on.
    """
    root = Path(folder)
    problems: list[str] = []
    found: dict[str, list[tuple[int, int, str, Path]]] = {}  # student -> candidates
    for path, parts, kind in _walk(root, problems):
        student = parts[0] if len(parts) > 1 else Path(parts[0]).stem
        rank = 0 if kind == "toml" else 1
        found.setdefault(student, []).append((rank, len(parts), "/".join(parts), path))
    responses: list[tuple[str, AnswerSheet]] = []
    sources: dict[str, str] = {}
    for student in sorted(found):
        candidates = sorted(found[student])
        used = None
        for rank, depth, rel, path in candidates:
            sheet = _read_one(path, rel, rank, problems)
            if sheet is None:
                continue
            used = rel
            name = sheet.student_id if depth == 1 and rank == 0 and sheet.student_id else student
            responses.append((name, sheet))
            sources[name] = rel
            break
        if used is not None:
            others = [rel for _, _, rel, _ in candidates if rel != used]
            if others:
                problems.append(f"{student}: answers taken from {used}; also found "
                                f"{', '.join(others[:3])}{' ...' if len(others) > 3 else ''}")
    responses, dropped = _unique(responses)
    problems.extend(dropped)
    responses.sort(key=lambda pair: pair[0])
    if responses and {s for s, _ in responses} == {"submitted"}:
        problems.append(f"{root}: every answer file is under {root / 'submitted'}: "
                        f"analyze {root / 'submitted'} so that each student is one folder")
    return Cohort(responses, problems, sources)


def _walk(root: Path, problems: list[str]):
    """(path, parts under root, "toml" or "ipynb") for candidate files, without links."""
    import os

    seen = 0
    stack: list[tuple[str, tuple[str, ...]]] = [(str(root), ())]
    while stack:
        folder, parts = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listing = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            problems.append(f"{'/'.join(parts) or folder}: cannot list "
                            f"({exc.strerror or type(exc).__name__}); skipped")
            continue
        subfolders = []
        for entry in listing:
            seen += 1
            if seen > MAX_ENTRIES:
                problems.append(f"{root}: stopped after {MAX_ENTRIES} entries; the rest was "
                                "not read")
                return
            name = entry.name
            rel = (*parts, name)
            try:
                if name.startswith(".") or entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if name not in SKIP_DIRS:
                        if len(rel) <= MAX_DEPTH:
                            subfolders.append((entry.path, rel))
                        else:
                            problems.append(f"{'/'.join(rel)}: more than {MAX_DEPTH} folders "
                                            "deep; not read")
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
            except OSError:
                continue
            if name.endswith(".ipynb"):
                yield Path(entry.path), rel, "ipynb"
            elif name == ANSWERS_FILENAME or (not parts and name.endswith(".toml")):
                yield Path(entry.path), rel, "toml"
        stack.extend(reversed(subfolders))


def _read_one(path: Path, rel: str, rank: int, problems: list[str]) -> AnswerSheet | None:
    limit = MAX_TEXT_BYTES if rank == 0 else MAX_NOTEBOOK_BYTES
    try:
        data = _read_bounded(path, limit + 1)
    except OSError as exc:
        problems.append(f"{rel}: cannot read ({exc.strerror or type(exc).__name__}); skipped")
        return None
    if rank == 1:
        if len(data) > limit:
            problems.append(f"{rel}: notebook over {limit // 2**20} MiB; skipped")
            return None
        text = answers_from_notebook(data)
        if text is None:
            problems.append(f"{rel}: no cell tagged quiz-answers (or not a notebook); skipped")
            return None
        sheet = parse_answers(text, rel)
    else:
        sheet = parse_answers(data, rel)
    if not sheet.readable:
        problems.append(f"{rel}: {sheet.notes[0] if sheet.notes else 'unreadable'}; skipped")
        return None
    return sheet


def _read_bounded(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of a regular file, without following a symbolic link."""
    import os

    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as f:
        return f.read(limit)


def _unique(responses):
    """One response per student id (a file's student_id may repeat another's)."""
    seen: dict[str, int] = {}
    out, problems = [], []
    for sid, sheet in responses:
        if sid in seen:
            problems.append(f"{sheet.source}: student {sid!r} already answered in "
                            f"{out[seen[sid]][1].source}; skipped")
            continue
        seen[sid] = len(out)
        out.append((sid, sheet))
    return out, problems


def read_responses_csv(text: str, source: str = "responses.csv") -> list[tuple[str, AnswerSheet]]:
    reader = csv.reader(io.StringIO(text))
    rows = [r for r in reader if any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"{source}: empty file")
    header = [h.strip() for h in rows[0]]
    if not header or header[0].lower() not in ("student_id", "student", "id"):
        raise ValueError(f"{source}:1: the first column must be student_id")
    out = []
    for n, row in enumerate(rows[1:], start=2):
        sid = row[0].strip() if row else ""
        sheet = AnswerSheet(source=f"{source}:{n}")
        for key, cell in zip(header[1:], row[1:], strict=False):
            labels = [t.lower() for t in cell.replace(";", " ").replace(",", " ").split()]
            sheet.answers.append(RawAnswer(key=key, labels=labels, line=n, written=cell))
        out.append((sid or f"row{n}", sheet))
    return out


def _mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def _pvar(xs):
    m = _mean(xs)
    return _mean([(x - m) ** 2 for x in xs])


def pearson(xs, ys) -> float | None:
    mx, my = _mean(xs), _mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def analyze(bank: Bank, responses: list[tuple[str, AnswerSheet]], scheme: str = DEFAULT_SCHEME,
            secret: bytes | None = None) -> QuizStats:
    if not responses:
        raise ValueError("no responses to analyze")
    # A student who answered nothing did not take the quiz: counting their sheet as blank answers
    # would flag every item hard and inflate the reliability; they are left out, and counted.
    takers = [(sid, sheet) for sid, sheet in responses if took_quiz(sheet)]
    if not takers:
        raise ValueError(f"none of the {len(responses)} responses answers any question")
    students = []  # (sid, {qid: (score, chosen)})
    for sid, sheet in takers:
        result = score_sheet(bank, sheet, scheme, student_id=None, secret=secret)
        students.append((sid, {r.question.id: (r.score, r.chosen) for r in result.questions}))
    n = len(students)
    qs = bank.questions
    scores = {q.id: [s[1][q.id][0] for s in students] for q in qs}
    totals = [sum(s[1][q.id][0] for q in qs) for s in students]
    group = max(1, round(0.27 * n))
    ranked = sorted(range(n), key=lambda i: (-totals[i], students[i][0]))
    top, bottom = ranked[:group], ranked[-group:]
    items = []
    for q in qs:
        frac = [x / q.points for x in scores[q.id]]
        rest = [t - x for t, x in zip(totals, scores[q.id], strict=True)]
        shares = {o: sum(1 for s in students if o in s[1][q.id][1]) / n for o in q.option_ids}
        shares["blank"] = sum(1 for s in students if not s[1][q.id][1]) / n
        items.append(ItemStats(
            qid=q.id, points=q.points, difficulty=_mean(frac),
            point_biserial=pearson(scores[q.id], rest),
            discrimination=_mean([frac[i] for i in top]) - _mean([frac[i] for i in bottom]),
            shares=shares, keys=q.keys))
    k = len(qs)
    var_total = _pvar(totals)
    alpha = None
    if k > 1 and var_total > 0:
        alpha = k / (k - 1) * (1 - sum(_pvar(scores[q.id]) for q in qs) / var_total)
    sd = math.sqrt(var_total)
    sem = sd * math.sqrt(1 - alpha) if alpha is not None and alpha <= 1 else None
    kr20 = all(x in (0.0, q.points) for q in qs for x in scores[q.id])
    return QuizStats(n, items, alpha, kr20, sem, _mean(totals), sd, bank.total_points,
                     left_out=len(responses) - len(takers))


def took_quiz(sheet: AnswerSheet) -> bool:
    """Whether a sheet answers at least one question (with any label, valid or not)."""
    return any(answer.labels for answer in sheet.answers)


def _f(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def to_csv(stats: QuizStats) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["question", "points", "difficulty", "point_biserial_item_rest",
                "discrimination_27", "option_shares", "blank_share", "keys"])
    for it in stats.items:
        shares = " ".join(f"{o}={v:.3f}" for o, v in it.shares.items() if o != "blank")
        w.writerow([it.qid, f"{it.points:g}", _f(it.difficulty, 4), _f(it.point_biserial, 4),
                    _f(it.discrimination, 4), shares, f"{it.shares['blank']:.4f}",
                    "".join(sorted(it.keys))])
    w.writerow([])
    name = "KR-20" if stats.kr20 else "alpha"
    w.writerow(["students", stats.n_students])
    w.writerow(["left_out_no_answers", stats.left_out])
    w.writerow([name, _f(stats.alpha, 4)])
    w.writerow(["SEM", _f(stats.sem, 4)])
    w.writerow(["mean_total", f"{stats.mean:.4f}", "sd_total", f"{stats.sd:.4f}",
                "max_total", f"{stats.max_total:g}"])
    return buf.getvalue()


def print_table(stats: QuizStats, file=None) -> None:
    from rich.console import Console
    from rich.table import Table

    left_out = f"; {stats.left_out} who handed in no answers left out" if stats.left_out else ""
    table = Table(title=f"Item analysis ({stats.n_students} students{left_out})")
    for col in ("Q", "pts", "p", "r item-rest", "D (27%)", "option shares (* = key)", "blank"):
        table.add_column(col, justify="left" if col.startswith(("Q", "option")) else "right")
    for it in stats.items:
        shares = "  ".join(f"{o}{'*' if o in it.keys else ''} {v:.0%}"
                           for o, v in it.shares.items() if o != "blank")
        table.add_row(it.qid, f"{it.points:g}", _f(it.difficulty, 2),
                      _f(it.point_biserial, 2), _f(it.discrimination, 2), shares,
                      f"{it.shares['blank']:.0%}")
    console = Console(file=file, width=140)
    console.print(table)
    name = "KR-20" if stats.kr20 else "Cronbach's alpha"
    console.print(f"{name}: {_f(stats.alpha)}   SEM: {_f(stats.sem)} points   "
                  f"mean {stats.mean:.2f} / {stats.max_total:g}, sd {stats.sd:.2f}")


ROW_INCHES = 0.3  # height of one question's row: labels 8 pt high never touch


def figure(stats: QuizStats):
    """The item-analysis figure: one row per question, so no label can overlap another.

    Left: difficulty p and discrimination D; right: item-rest point-biserial r
    (red below 0.2: review the item; grey "n/a" where r is undefined). Question ids
    label the shared rows, and the figure grows with the number of questions.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    items = stats.items
    n = len(items)
    height = max(3.2, ROW_INCHES * n + 2.0)
    fig = Figure(figsize=(11, height), layout="constrained")
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    rows = list(range(n))
    ax1.barh([y - 0.2 for y in rows], [it.difficulty for it in items], 0.4, label="difficulty p",
             color="#4C72B0")
    ax1.barh([y + 0.2 for y in rows], [it.discrimination for it in items], 0.4,
             label="discrimination D (27 %)", color="#DD8452")
    ax1.set_yticks(rows, [it.qid for it in items], fontsize=8)
    ax1.set_ylim(n - 0.5, -0.5)  # first question on top
    low = min([0.0, *(it.discrimination for it in items)])
    ax1.set_xlim(min(-0.1, low - 0.05), 1.05)
    ax1.axvline(0, color="black", linewidth=0.8)
    ax1.set_xlabel("fraction")
    ax1.set_title("Difficulty p and discrimination D")
    rs = [it.point_biserial for it in items]
    colors = ["#999999" if r is None else ("#C44E52" if r < 0.2 else "#55A868") for r in rs]
    ax2.barh(rows, [0.0 if r is None else r for r in rs], 0.6, color=colors)
    for y, r in zip(rows, rs, strict=True):
        if r is None:
            ax2.text(0.02, y, "n/a", va="center", ha="left", fontsize=7, color="#555555")
    ax2.axvline(0, color="black", linewidth=0.8)
    ax2.axvline(0.2, color="grey", linestyle="--", linewidth=0.8)
    low = min([0.0, *(r for r in rs if r is not None)])
    ax2.set_xlim(min(-0.1, low - 0.05), 1.05)
    ax2.tick_params(axis="y", labelleft=False)
    ax2.set_xlabel("item-rest point-biserial r")
    ax2.set_title("Item-rest r (red: below 0.2, review)")
    name = "KR-20" if stats.kr20 else "alpha"
    fig.suptitle(f"{stats.n_students} students, {name} = {_f(stats.alpha, 2)}, "
                 f"SEM = {_f(stats.sem, 2)}")
    handles, labels = ax1.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    return fig


def plot(stats: QuizStats, path: str | Path) -> None:
    fig = figure(stats)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, metadata={"Software": None})
