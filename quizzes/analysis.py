"""Item analysis of a cohort's answers.

RESPONSES is either

- a CSV file with a header ``student_id,q01,q02,...`` and one row per student;
  a cell holds canonical option ids (``b``, or ``a;c`` / ``a c`` for several);
  an empty cell is "not answered"; or
- a folder of answer files (``*.toml``, the students' ``quiz_answers.toml``
  renamed), the student id taken from ``student_id`` in the file or the file name.

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
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from .answers import AnswerSheet, RawAnswer, parse_answers
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
    n_students: int
    items: list[ItemStats]
    alpha: float | None
    kr20: bool  # True when all items were scored 0/1 (alpha is KR-20)
    sem: float | None
    mean: float
    sd: float
    max_total: float


def read_responses(path: str | Path, bank: Bank) -> list[tuple[str, AnswerSheet]]:
    p = Path(path)
    if p.is_dir():
        files = sorted(p.glob("*.toml"))
        if not files:
            raise ValueError(f"{p}: no *.toml answer files in this folder")
        out = []
        for f in files:
            sheet = parse_answers(f.read_bytes(), str(f))
            out.append((sheet.student_id or f.stem, sheet))
        return out
    text = p.read_text(encoding="utf-8-sig")
    return read_responses_csv(text, str(p))


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
    students = []  # (sid, {qid: (score, chosen)})
    for sid, sheet in responses:
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
    return QuizStats(n, items, alpha, kr20, sem, _mean(totals), sd, bank.total_points)


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
    w.writerow([name, _f(stats.alpha, 4)])
    w.writerow(["SEM", _f(stats.sem, 4)])
    w.writerow(["mean_total", f"{stats.mean:.4f}", "sd_total", f"{stats.sd:.4f}",
                "max_total", f"{stats.max_total:g}"])
    return buf.getvalue()


def print_table(stats: QuizStats, file=None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Item analysis ({stats.n_students} students)")
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


def plot(stats: QuizStats, path: str | Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = [it.qid for it in stats.items]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    xs = range(len(ids))
    ax1.bar([x - 0.2 for x in xs], [it.difficulty for it in stats.items], 0.4, label="p")
    ax1.bar([x + 0.2 for x in xs], [it.discrimination for it in stats.items], 0.4, label="D")
    ax1.set_xticks(list(xs), ids, rotation=45)
    ax1.axhline(0, color="black", linewidth=0.8)
    ax1.set_title("Difficulty p and discrimination D")
    ax1.legend()
    rs = [it.point_biserial if it.point_biserial is not None else 0.0 for it in stats.items]
    ax2.scatter([it.difficulty for it in stats.items], rs)
    for it, r in zip(stats.items, rs, strict=True):
        ax2.annotate(it.qid, (it.difficulty, r), fontsize=8)
    ax2.axhline(0.2, color="grey", linestyle="--", linewidth=0.8)
    ax2.set_xlabel("difficulty p")
    ax2.set_ylabel("item-rest point-biserial")
    ax2.set_xlim(-0.05, 1.05)
    ax2.set_title("Items (r < 0.2: review)")
    name = "KR-20" if stats.kr20 else "alpha"
    fig.suptitle(f"{stats.n_students} students, {name} = {_f(stats.alpha, 2)}, "
                 f"SEM = {_f(stats.sem, 2)}")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
