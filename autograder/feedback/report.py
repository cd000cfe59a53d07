"""The instructor's cohort report (``report.html``) from every student's results.

First what needs action (submissions to regrade, isolation that was not full), then the
scores, the checks the cohort fails most with their hints, the quiz's item analysis
(``quizzes.analysis``), the slowest submissions and every student with a link to their page.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from . import model, quiz, style, svg
from .model import StudentView, part_label
from .student import COURSE
from .text import fmt_points as pts
from .text import h, h1, one_line, plural

SLOWEST = 10
HIST_BINS = 10


@dataclass
class Unreadable:
    """A file of the results folder that is not a results file we can read."""

    stem: str
    problem: str
    tag: str = "unreadable"  # or "not sealed": a file this grader did not write (autograder.seal)


@dataclass
class CheckStats:
    key: str  # check id, or the test's name
    name: str
    function: str
    part: str
    max_score: float
    attempted: int
    passed: int
    hint: str
    common: list[tuple[str, int]]  # most frequent failure messages (first line) and how many
    followed: int = 0  # failures that follow from another check's (counted there, not here)

    @property
    def failed(self) -> int:
        """Failures whose root cause is this check."""
        return self.attempted - self.passed - self.followed

    @property
    def rate(self) -> float:
        """The share of submissions without a root-cause failure here."""
        return (self.attempted - self.failed) / self.attempted if self.attempted else 0.0


def check_stats(views: list[StudentView]) -> list[CheckStats]:
    """Pass rate per check over the graded students, the most failed first."""
    table: dict[str, CheckStats] = {}
    messages: dict[str, Counter] = {}
    for v in views:
        if not v.graded:
            continue
        for c in v.checks:
            key = c.check or c.name
            s = table.get(key)
            if s is None:
                s = table[key] = CheckStats(key, c.name, c.function, c.part, c.max_score, 0, 0, c.hint, [])
                messages[key] = Counter()
            s.attempted += 1
            if c.passed:
                s.passed += 1
            elif not c.root_cause:
                s.followed += 1
            else:
                if c.hint and not s.hint:
                    s.hint = c.hint
                first = one_line(c.message.split("\n", 1)[0], 240)
                if first:
                    messages[key][first] += 1
    order = {k: i for i, k in enumerate(table)}
    out = sorted(table.values(), key=lambda s: (s.rate, -s.max_score, order[s.key]))
    for s in out:
        s.common = messages[s.key].most_common(3)
    return out


STATUS_WORDS = {model.GRADED: "graded", model.NOT_RUN: "not run", model.GRADER_ERROR: "grader error"}


def _status(v: StudentView) -> str:
    return STATUS_WORDS.get(v.status, v.status)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _rate_cell(rate: float) -> str:
    return (f'<div class="rate"><div class="meter" aria-hidden="true"><span style="width:{100 * rate:.1f}%">'
            f'</span></div><span class="num">{_pct(rate)}</span></div>')


def render(views: list[StudentView], unreadable: list[Unreadable] | None = None, *,
           feedback_dir: str = "feedback", title: str = "") -> str:
    unreadable = unreadable or []
    title = title or f"Cohort report · {COURSE}"
    graded = [v for v in views if v.graded]
    out = [style.head(title), '<body class="report">\n<a class="skip" href="#main">Skip to the report</a>\n'
           '<div class="page">\n<header>', f'<p class="eyebrow">{h(COURSE)} · instructor report</p>',
           f'<h1>Cohort report: {plural(len(views), "student")}</h1>', _summary_line(views, unreadable),
           '</header>\n<main id="main">\n']
    out.append(_contents(bool(graded)))
    out.append(_attention(views, unreadable, feedback_dir))
    out.append(_isolation(views))
    out.append(_scores(views))
    out.append(_checks(views))
    out.append(_quiz(views))
    out.append(_slowest(views, feedback_dir))
    out.append(_students(views, feedback_dir))
    out.append('</main>\n<footer><p>Made from the results files alone. Student names, messages and '
               'output are shown as text, never run. Feedback pages link from the table above.</p>'
               '</footer>\n</div>\n</body>\n</html>\n')
    return "".join(out)


def _summary_line(views, unreadable) -> str:
    counts = Counter(v.status for v in views)
    bits = [f"{counts.get(model.GRADED, 0)} graded"]
    if counts.get(model.NOT_RUN):
        bits.append(f"{counts[model.NOT_RUN]} not run")
    if counts.get(model.GRADER_ERROR):
        bits.append(plural(counts[model.GRADER_ERROR], "grader error"))
    if unreadable:
        bits.append(f"{plural(len(unreadable), 'unreadable results file')}")
    versions = sorted({v.grader_version for v in views if v.grader_version})
    if versions:
        bits.append("grader " + ", ".join(h1(x, 40) for x in versions[:3]))
    return f'<p class="meta">{" · ".join(bits)}</p>'


def _contents(has_graded: bool) -> str:
    links = [("attention-h", "Needs attention"), ("isolation-h", "Isolation"), ("scores-h", "Scores"),
             ("checks-h", "Checks the cohort misses"), ("quiz-h", "Quiz item analysis"),
             ("slow-h", "Slowest submissions"), ("students-h", "Every student")]
    return ('<nav aria-label="Contents"><p class="meta">'
            + " · ".join(f'<a href="#{a}">{t}</a>' for a, t in links) + "</p></nav>\n")


def _link(v: StudentView, feedback_dir: str) -> str:
    from urllib.parse import quote

    if not v.stem:
        return h1(v.name, 120)
    return f'<a href="{h(feedback_dir)}/{quote(v.stem)}.html">{h1(v.name, 120)}</a>'


def _attention(views, unreadable, feedback_dir) -> str:
    flagged = [v for v in views if not v.graded]
    odd = [v for v in views if v.graded and v.grader_errors]
    out = ['<section aria-labelledby="attention-h"><h2 id="attention-h">Needs attention</h2>']
    if not flagged and not unreadable and not odd:
        out.append('<p class="banner ok">Every submission was graded; nothing is flagged for regrade.</p>')
    if flagged or unreadable:
        out.append(f'<p class="banner bad"><strong>{plural(len(flagged) + len(unreadable), "submission")} '
                   'flagged for regrade.</strong> They were not graded (a sandbox measure was missing, the '
                   'submission could not be read, or the grader failed): their points are not grades. '
                   'Fix the cause and grade them again.</p>')
        out.append('<div class="table-wrap"><table><thead><tr><th scope="col">student</th>'
                   '<th scope="col">status</th><th scope="col">reason</th>'
                   '<th scope="col">grader errors</th></tr></thead><tbody>')
        for v in flagged:
            errors = "".join(f"<pre>{h(e, 3000)}</pre>" for e in v.grader_errors[:5])
            more = len(v.grader_errors) - 5
            if more > 0:
                errors += f"<p class='muted'>{plural(more, 'more error')}</p>"
            out.append(f'<tr><td>{_link(v, feedback_dir)}<br><span class="muted mono">{h1(v.stem, 80)}.json'
                       f'</span></td><td><span class="tag bad">{_status(v)}</span></td>'
                       f'<td>{h(v.regrade_reason or "(no reason given)", 2000)}</td><td>{errors}</td></tr>')
        for u in unreadable:
            out.append(f'<tr><td class="mono">{h1(u.stem, 80)}.json</td><td><span class="tag bad">{h1(u.tag)}'
                       f'</span></td><td>{h(u.problem, 500)}</td><td></td></tr>')
        out.append("</tbody></table></div>")
    if odd:
        out.append(f"<h3>Graded, with grader notes ({len(odd)})</h3><p>The grader recorded internal errors "
                   "on these graded submissions; check their scores.</p><ul>")
        for v in odd:
            out.append(f"<li>{_link(v, feedback_dir)}: {h(v.grader_errors[0], 1000)}"
                       + (f" <span class='muted'>(+{len(v.grader_errors) - 1})</span>"
                          if len(v.grader_errors) > 1 else "") + "</li>")
        out.append("</ul>")
    out.append("</section>\n")
    return "".join(out)


def _isolation(views) -> str:
    configs = Counter((v.isolation_mode or "(not recorded)", tuple(v.isolation_measures))
                      for v in views if v.status != model.NOT_RUN or v.isolation_mode)
    out = ['<section aria-labelledby="isolation-h"><h2 id="isolation-h">Isolation in force</h2>']
    if not configs:
        out.append("<p>No submission recorded its isolation.</p></section>\n")
        return "".join(out)
    weak = [c for c in configs if c[0] != "full"]
    mixed = " It was not the same for every submission: compare the rows." if len(configs) > 1 else ""
    if any(c[0] == "unconfined" for c in configs):
        out.append('<p class="banner bad"><strong>Some submissions ran unconfined</strong>: student code '
                   f'could read and change anything the grader could. Do not trust those grades.{mixed}</p>')
    elif weak:
        out.append('<p class="banner">Isolation was degraded (not "full") for some submissions: see which '
                   f'measures were in force.{mixed}</p>')
    elif mixed:
        out.append(f'<p class="banner">{mixed.strip()}</p>')
    out.append('<div class="table-wrap"><table><thead><tr><th scope="col">mode</th><th scope="col">'
               'measures in force</th><th scope="col" class="num">submissions</th></tr></thead><tbody>')
    for (mode, measures), n in configs.most_common():
        out.append(f'<tr><td><strong>{h1(mode, 40)}</strong></td><td>{h(", ".join(measures) or "none", 3000)}'
                   f'</td><td class="num">{n}</td></tr>')
    out.append("</tbody></table></div></section>\n")
    return "".join(out)


def histogram(views: list[StudentView], bins: int = HIST_BINS) -> tuple[list[str], list[int]]:
    """Counts of graded students' percentages in bins of 100/bins (the top bin holds 100 %)."""
    width = 100 / bins
    counts = [0] * bins
    for v in views:
        p = v.percent
        if not v.graded or p is None:
            continue
        counts[min(bins - 1, max(0, int(p // width)))] += 1
    labels = [f"{i * width:.0f}–{(i + 1) * width:.0f}" for i in range(bins)]
    return labels, counts


def _scores(views) -> str:
    graded = [v for v in views if v.graded]
    out = ['<section aria-labelledby="scores-h"><h2 id="scores-h">Scores</h2>']
    if not graded:
        out.append("<p>No graded submission yet.</p></section>\n")
        return "".join(out)
    scores = [v.score for v in graded]
    max_scores = Counter(v.max_score for v in graded)
    max_score = max_scores.most_common(1)[0][0]
    mean = statistics.fmean(scores)
    median = statistics.median(scores)
    sd = statistics.pstdev(scores) if len(scores) > 1 else 0.0
    percents = [v.percent for v in graded if v.percent is not None]
    mean_pct = f" ({statistics.fmean(percents):.0f} %)" if percents else ""
    out.append(f'<p><strong>{len(graded)}</strong> graded: mean {pts(mean)}{mean_pct}, median {pts(median)}, '
               f'sd {pts(sd)}, lowest {pts(min(scores))}, highest {pts(max(scores))} of {pts(max_score)}.'
               + (f" {plural(len(views) - len(graded), 'submission')} not graded "
                  f"{'is' if len(views) - len(graded) == 1 else 'are'} left out."
                  if len(views) > len(graded) else "") + "</p>")
    if len(max_scores) > 1:
        out.append('<p class="banner">Not every submission has the same maximum score ('
                   + ", ".join(pts(m) for m in sorted(max_scores)) + "): were they graded with different "
                   "options? The histogram uses percentages.</p>")
    labels, counts = histogram(graded)
    chart = svg.bar_chart(
        "score-histogram", labels, counts, title="Score histogram",
        desc="Graded students per band of the total score, in percent: "
             + ", ".join(f"{lab}%: {c}" for lab, c in zip(labels, counts, strict=True)),
        x_label="total score, % of the maximum", y_label="students")
    out.append(f"<figure>{chart}<figcaption>How many graded students scored in each band "
               "(the last band includes 100 %).</figcaption></figure>")
    # per part
    part_rows = {}
    for v in graded:
        for p, s, m in v.parts:
            part_rows.setdefault(p, []).append((s, m))
    if part_rows:
        out.append('<div class="table-wrap"><table><thead><tr><th scope="col">part</th>'
                   '<th scope="col" class="num">mean</th><th scope="col" class="num">median</th>'
                   '<th scope="col" class="num">full marks</th><th scope="col" class="num">of</th>'
                   '</tr></thead><tbody>')
        for p in sorted(part_rows, key=lambda p: model.PART_ORDER.index(p) if p in model.PART_ORDER else 9):
            rows = part_rows[p]
            full = sum(1 for s, m in rows if m > 0 and s >= m - 1e-9)
            m = Counter(m for _, m in rows).most_common(1)[0][0]
            out.append(f'<tr><th scope="row">{h(part_label(p))}</th>'
                       f'<td class="num">{pts(statistics.fmean(s for s, _ in rows))}</td>'
                       f'<td class="num">{pts(statistics.median(s for s, _ in rows))}</td>'
                       f'<td class="num">{full} ({_pct(full / len(rows))})</td>'
                       f'<td class="num">{pts(m)}</td></tr>')
        out.append("</tbody></table></div>")
    out.append("</section>\n")
    return "".join(out)


def _checks(views) -> str:
    stats = check_stats(views)
    out = ['<section aria-labelledby="checks-h"><h2 id="checks-h">Checks the cohort misses</h2>']
    if not stats:
        out.append("<p>No graded submission has checks.</p></section>\n")
        return "".join(out)
    out.append("<p>Pass rate per check over the graded submissions, the most missed first, with the hint "
               "students see. A failure is counted at its root cause: a check that failed only because "
               "another one did (it could not be judged without it) is counted there, and shown apart. "
               "Expand a row's messages to see what students were told most often.</p>")
    out.append('<div class="table-wrap"><table class="fixed"><colgroup><col style="width:25%">'
               '<col style="width:15%"><col style="width:6%"><col style="width:15%"><col style="width:8%">'
               '<col></colgroup><thead><tr><th scope="col">check</th>'
               '<th scope="col">function</th><th scope="col" class="num"><abbr title="points">pts</abbr></th>'
               '<th scope="col">passed</th><th scope="col" class="num">failed</th>'
               '<th scope="col">hint and most common messages</th></tr></thead><tbody>')
    clean_sweep = [s for s in stats if s.passed == s.attempted]
    for s in stats:
        if s.passed == s.attempted:
            continue
        failed = s.failed
        detail = f'<p class="hint">{h(s.hint, 1000)}</p>' if s.hint and failed else ""
        if s.common and failed:
            detail += ("<details><summary>messages</summary><ul>"
                       + "".join(f"<li><span class='muted'>{n}×</span> <code>{h(m, 300)}</code></li>"
                                 for m, n in s.common) + "</ul></details>")
        part = f' <span class="muted">({h(part_label(s.part))})</span>' if s.part != model.CORE else ""
        out.append(f'<tr><td>{h1(s.name, 200)}<br><span class="muted mono">{h1(s.key, 80)}</span></td>'
                   f'<td class="mono">{h1(s.function, 80)}{part}</td><td class="num">{pts(s.max_score)}</td>'
                   f'<td>{_rate_cell(s.rate)}</td><td class="num">{failed} / {s.attempted}'
                   + (f'<br><span class="muted">+{s.followed} because of another check</span>'
                      if s.followed else "") + '</td>'
                   f'<td>{detail}</td></tr>')
    out.append("</tbody></table></div>")
    if clean_sweep:
        out.append(f"<p>Every graded submission passed {plural(len(clean_sweep), 'check')}: "
                   + ", ".join(f"<span class='mono'>{h1(s.key, 80)}</span>" for s in clean_sweep) + ".</p>")
    out.append("</section>\n")
    return "".join(out)


def _quiz(views) -> str:
    schemes = Counter(v.quiz_scheme for v in views if v.graded)
    scheme = schemes.most_common(1)[0][0] if schemes else None
    result = quiz.analyse(views, scheme or None)
    out = ['<section aria-labelledby="quiz-h"><h2 id="quiz-h">Quiz item analysis</h2>']
    stats = result.stats
    if stats is None:
        out.append(f"<p>No item analysis: {h(result.problem)}.</p></section>\n")
        return "".join(out)
    name = "KR-20" if stats.kr20 else "Cronbach's alpha"

    def f(x, d=2):
        return "n/a" if x is None else f"{x:.{d}f}"

    left_out = (f" {plural(result.non_takers, 'graded student')} handed in no quiz answers and "
                f"{'is' if result.non_takers == 1 else 'are'} left out." if result.non_takers else "")
    out.append(f"<p>{stats.n_students} graded students answered the quiz: mean {stats.mean:.2f} / "
               f"{pts(stats.max_total)}, "
               f"sd {stats.sd:.2f}; {name} {f(stats.alpha)}, SEM {f(stats.sem)} points. "
               "<em>p</em>: share of the points earned (difficulty); <em>r</em>: item-rest point-biserial "
               "correlation; <em>D</em>: top 27 % minus bottom 27 %. Flagged: <em>r</em> below 0.2, "
               f"<em>p</em> below 0.3 or above 0.95. Option shares: * marks a key.{left_out}</p>")
    if result.unresolved:
        out.append(f'<p class="banner">{plural(result.unresolved, "answer")} could not be read back from '
                   "the results and count as blank here (column <em>unread</em>): the results record the "
                   "options chosen only through the feedback shown to the student, and there is none for a "
                   "multiple-answer question answered partly right, for several answers to a one-answer "
                   "question, or when the bank's feedback changed since grading. For those questions the "
                   "option shares, <em>p</em>, <em>r</em>, <em>D</em> and the reliability are understated; "
                   "the students' scores are not affected.</p>")
    if result.rescored:
        out.append(f'<p class="banner">{plural(result.rescored, "answer")} would score differently with '
                   "the bank as it is now: was the bank edited after grading?</p>")
    out.append('<div class="table-wrap"><table><thead><tr><th scope="col">question</th>'
               '<th scope="col">topic</th><th scope="col" class="num">points</th>'
               '<th scope="col" class="num"><em>p</em></th><th scope="col" class="num"><em>r</em></th>'
               '<th scope="col" class="num"><em>D</em></th><th scope="col">option shares</th>'
               '<th scope="col" class="num">blank</th>'
               + ('<th scope="col" class="num">unread</th>' if result.unresolved else "")
               + '<th scope="col">review</th></tr></thead><tbody>')
    bank = result.bank
    for it in stats.items:
        q = bank.get(it.qid)
        flags = []
        if it.point_biserial is None or it.point_biserial < 0.2:
            flags.append("low r")
        if it.difficulty < 0.3:
            flags.append("hard")
        if it.difficulty > 0.95:
            flags.append("easy")
        shares = " ".join(f"{o}{'*' if o in it.keys else ''}&nbsp;{_pct(v)}"
                          for o, v in it.shares.items() if o != "blank")
        out.append(f'<tr><th scope="row"><abbr title="{h(q.prompt if q else it.qid, 400)}">{h1(it.qid)}'
                   f'</abbr></th><td>{h1(q.topic if q else "")}</td><td class="num">{pts(it.points)}</td>'
                   f'<td class="num">{f(it.difficulty)}</td><td class="num">{f(it.point_biserial)}</td>'
                   f'<td class="num">{f(it.discrimination)}</td><td class="mono">{shares}</td>'
                   f'<td class="num">{_pct(it.shares.get("blank", 0.0))}</td>'
                   + (f'<td class="num">{result.unresolved_by_item.get(it.qid, 0)}</td>'
                      if result.unresolved else "")
                   + f'<td class="flag">{", ".join(flags)}</td></tr>')
    out.append("</tbody></table></div></section>\n")
    return "".join(out)


def _slowest(views, feedback_dir) -> str:
    timed = sorted((v for v in views if v.execution_time is not None),
                   key=lambda v: -(v.execution_time or 0))[:SLOWEST]
    out = ['<section aria-labelledby="slow-h"><h2 id="slow-h">Slowest submissions</h2>']
    if not timed:
        out.append("<p>No grading times were recorded.</p></section>\n")
        return "".join(out)
    times = [v.execution_time for v in views if v.execution_time is not None]
    out.append(f"<p>Grading took {statistics.median(times):.1f} s per submission (median), "
               f"{sum(times) / 60:.1f} min in all.</p>")
    out.append('<div class="table-wrap"><table><thead><tr><th scope="col">student</th>'
               '<th scope="col" class="num">time</th><th scope="col" class="num">peak memory</th>'
               '<th scope="col" class="num">processes killed</th><th scope="col">status</th>'
               '</tr></thead><tbody>')
    for v in timed:
        mem = "—" if v.peak_memory_bytes is None else f"{v.peak_memory_bytes / 2**20:,.0f} MiB"
        out.append(f'<tr><td>{_link(v, feedback_dir)}</td><td class="num">{v.execution_time:.1f} s</td>'
                   f'<td class="num">{mem}</td><td class="num">{v.processes_killed}</td>'
                   f'<td>{_status(v)}</td></tr>')
    out.append("</tbody></table></div></section>\n")
    return "".join(out)


def _students(views, feedback_dir) -> str:
    parts = []
    for v in views:
        for p, _, _ in v.parts:
            if p not in parts:
                parts.append(p)
    parts.sort(key=lambda p: model.PART_ORDER.index(p) if p in model.PART_ORDER else 9)
    out = ['<section aria-labelledby="students-h"><h2 id="students-h">Every student</h2>',
           '<div class="table-wrap"><table><thead><tr><th scope="col">student</th>'
           '<th scope="col" class="num">score</th>']
    out.extend(f'<th scope="col" class="num">{h(part_label(p))}</th>' for p in parts)
    out.append('<th scope="col" class="num">checks failed</th><th scope="col">status</th></tr>'
               '</thead><tbody>')
    for v in sorted(views, key=lambda v: (v.name.casefold(), v.stem)):
        by_part = {p: (s, m) for p, s, m in v.parts}
        cells = "".join(f'<td class="num">{pts(by_part[p][0]) if p in by_part else "—"}</td>' for p in parts)
        failed = sum(not c.passed for c in v.checks)
        status = _status(v) if v.graded else f'<span class="flag">{_status(v)}</span>'
        out.append(f'<tr><td>{_link(v, feedback_dir)}</td><td class="num">{pts(v.score)} / '
                   f'{pts(v.max_score)}</td>{cells}<td class="num">{failed}</td><td>{status}</td></tr>')
    out.append("</tbody></table></div></section>\n")
    return "".join(out)
