"""A student's feedback page, as HTML and as Markdown, from their results.

Order: who and the score first, then what to fix next, the checks grouped by the function
they judge, the training-loss curve, the notebook cells that raised, the quiz. Nothing here
reads the reference solution, the hidden checks or ``grader_errors``: a page shows only what
the results file gives the student, and from the bank only what :mod:`.quiz` allows.
"""

from __future__ import annotations

import re

from . import model, style, svg
from .model import CheckView, StudentView, part_label
from .quiz import QuizAnswer
from .text import fmt_points as pts
from .text import h, h1, h_bank, md, md_bank, md_code, one_line, plural

COURSE = "Module 11 · Recurrent Neural Networks"
STUDENT_COLOR, REFERENCE_COLOR = "#c2410c", "#1d4ed8"
Y_CAP_FACTOR = 4.0  # the loss plot's y axis stops at this many times the reference's largest loss


def _anchor(prefix: str, name: str) -> str:
    return prefix + "-" + (re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "x")


def _mib(n: int | None) -> str:
    return "?" if n is None else f"{n / 2**20:,.0f} MiB"


def _seconds(s: float | None) -> str:
    return "?" if s is None else (f"{s:.1f} s" if s < 100 else f"{s / 60:.1f} min")


def _pct(score: float, max_score: float) -> str:
    return f"{100 * score / max_score:.0f}%" if max_score > 0 else ""


def _meter(score: float, max_score: float) -> str:
    frac = max(0.0, min(1.0, score / max_score)) if max_score > 0 else 0.0
    full = " full" if max_score > 0 and score >= max_score - 1e-9 else ""
    return f'<div class="meter{full}" aria-hidden="true"><span style="width:{100 * frac:.1f}%"></span></div>'


def _status_note(v: StudentView) -> tuple[str, str] | None:
    """(title, text) for a submission that was not graded, plain text."""
    if v.status == model.NOT_RUN:
        reason = one_line(v.regrade_reason, 500) or "the grader could not start on it"
        return ("Your submission has not been graded yet",
                f"It was not run: {reason}. Nothing was held against you: course staff will "
                "regrade it once the cause is fixed. If the reason is about your files, fix them "
                "and submit again.")
    if v.status == model.GRADER_ERROR:
        return ("Your submission has not been graded yet",
                "The grader itself failed on your submission; this is not a mistake of yours. "
                "Course staff have been told and will regrade it. The points below are not your grade.")
    return None


def todo(v: StudentView) -> list[tuple[str, str, list[CheckView]]]:
    """(part, function, failed checks): what to fix, first things first. Functions in the order the
    exercise builds them, those with a root cause first; in each, root causes before the checks that
    failed because of them (a shape that cannot be credited until the values are right, say)."""
    rooted, following = [], []
    for part, function, checks in model.by_function(v.checks):
        failed = sorted((c for c in checks if not c.passed), key=lambda c: not c.root_cause)
        if failed:
            (rooted if failed[0].root_cause else following).append((part, function, failed))
    return rooted + following


# -- HTML ------------------------------------------------------------------------------------

def render_html(v: StudentView) -> str:
    parts = [style.head(f"Feedback: {one_line(v.name, 120)} · {COURSE}"),
             '<body>\n<a class="skip" href="#main">Skip to the feedback</a>\n<div class="page">\n',
             '<header>\n', f'<p class="eyebrow">{h(COURSE)} · feedback</p>\n',
             f'<h1>{h1(v.name, 200)}</h1>\n', _meta_html(v), '</header>\n<main id="main">\n']
    note = _status_note(v)
    if note:
        parts.append(f'<section class="banner bad" role="alert" aria-labelledby="status-h">'
                     f'<h2 id="status-h">{h(note[0])}</h2><p>{h(note[1])}</p></section>\n')
    parts.append(_score_html(v))
    if v.graded or v.checks:
        parts.append(_next_html(v))
        parts.append(_checks_html(v))
        parts.append(_loss_html(v))
    if v.notebook:
        parts.append(_cells_html(v))
    if v.quiz or v.quiz_notes:
        parts.append(_quiz_html(v))
    parts.append('</main>\n')
    parts.append(_footer_html(v))
    parts.append('</div>\n</body>\n</html>\n')
    return "".join(parts)


def when(iso: str) -> str:
    """``2025-03-14T23:58:02+01:00`` as ``2025-03-14 23:58 (UTC+01:00)``; other text as it is."""
    from datetime import datetime

    try:
        t = datetime.fromisoformat(iso.strip())
    except ValueError:
        return one_line(iso, 60)
    zone = t.strftime("%z")
    zone = f" (UTC{zone[:3]}:{zone[3:]})" if zone else ""
    return t.strftime("%Y-%m-%d %H:%M") + zone


def _meta_html(v: StudentView) -> str:
    bits = []
    if v.submitted_at:
        bits.append(f'Submitted <time datetime="{h1(v.submitted_at, 60)}">{h(when(v.submitted_at))}</time>')
    late = v.late
    days = model.num(late.get("days_late"), None)
    if days:
        penalty = model.num(late.get("penalty_percent"), 0.0)
        before = model.num(late.get("score_before"), None)
        bits.append(f"{pts(days)} day{'s' if days != 1 else ''} late: −{pts(penalty)}% "
                    + (f"(score before the penalty: {pts(before)})" if before is not None else ""))
    return f'<p class="meta">{" · ".join(bits)}</p>\n' if bits else ""


def _score_html(v: StudentView) -> str:
    out = ['<section class="card scorecard" aria-labelledby="score-h">'
           '<h2 id="score-h" class="vh">Score</h2>',
           f'<p class="total"><span class="big">{pts(v.score)}</span> / {pts(v.max_score)} points'
           f'<span class="pct">{_pct(v.score, v.max_score)}</span></p>']
    if v.parts:
        out.append('<ul class="parts" aria-label="Points per part">')
        for part, score, max_score in v.parts:
            out.append(f'<li><span>{h(part_label(part))}</span> {_meter(score, max_score)} '
                       f'<span class="pts">{pts(score)} / {pts(max_score)}</span></li>')
        out.append("</ul>")
    out.append("</section>\n")
    return "".join(out)


def _next_html(v: StudentView) -> str:
    items = todo(v)
    out = ['<section class="next card" aria-labelledby="next-h"><h2 id="next-h">What to fix next</h2>']
    if not v.checks:
        out.append("<p>No checks were run on your code.</p></section>\n")
        return "".join(out)
    if not items:
        out.append('<p>Nothing: every check of the exercise passed.'
                   + (" See the quiz below." if any(not a.full_marks for a in v.quiz) else "")
                   + "</p></section>\n")
        return "".join(out)
    out.append("<p>Work through these in order: later functions build on earlier ones.</p><ol>")
    for i, (part, function, failed) in enumerate(items):
        lost = sum(c.max_score - c.score for c in failed)
        first = failed[0]
        where = f" ({h(part_label(part))})" if part != model.CORE else ""
        out.append(f'<li><a href="#{_anchor("fn", part + "-" + function)}"><strong>'
                   f'{h1(function, 120)}</strong></a>{where}: {plural(len(failed), "check")} failed, '
                   f'{pts(lost)} point{"s" if lost != 1 else ""} to gain.')
        if i == 0:
            out.append(f'<br>Start with <em>{h1(first.name, 200)}</em>.')
            hint = next((c.hint for c in failed if c.hint), "")
            if hint:
                out.append(f'<p class="hint"><strong>Hint:</strong> {h(hint, 2000)}</p>')
        out.append("</li>")
    out.append("</ol></section>\n")
    return "".join(out)


def _check_html(c: CheckView) -> str:
    if c.passed:
        tag = '<span class="tag ok">passed</span>'
    elif c.score > 0:
        tag = '<span class="tag part">partly</span>'
    else:
        tag = '<span class="tag bad">failed</span>'
    body = [f'<span class="name">{h1(c.name, 300)}</span>']
    if not c.passed:
        if c.message:
            body.append(f'<pre class="msg">{h(c.message, 6000)}</pre>')
        if c.hint:
            body.append(f'<p class="hint"><strong>Hint:</strong> {h(c.hint, 2000)}</p>')
    return (f'<li class="check {"pass" if c.passed else "fail"}">{tag}<div class="body">{"".join(body)}'
            f'</div><span class="pts">{pts(c.score)} / {pts(c.max_score)}</span></li>')


def _checks_html(v: StudentView) -> str:
    out = ['<section aria-labelledby="checks-h"><h2 id="checks-h">Checks, by function</h2>']
    if not v.checks:
        out.append("<p>No checks were run.</p>")
    current_part = None
    groups = model.by_function(v.checks)
    several_parts = len({p for p, _, _ in groups}) > 1
    for part, function, checks in groups:
        if part != current_part and several_parts:
            out.append(f"<h3>{h(part_label(part))}</h3>")
            current_part = part
        got = sum(c.score for c in checks)
        total = sum(c.max_score for c in checks)
        n_failed = sum(not c.passed for c in checks)
        anchor = _anchor("fn", part + "-" + function)
        if not n_failed:  # nothing to read here: one line, the checks on demand
            out.append(f'<details class="fn" id="{anchor}"><summary><span><span class="fname mono">'
                       f'{h1(function, 120)}</span> <span class="tag ok">all {len(checks)} passed</span>'
                       f'</span> <span class="pts">{pts(got)} / {pts(total)}</span></summary>'
                       '<ul class="checks">')
            out.extend(_check_html(c) for c in checks)
            out.append("</ul></details>")
            continue
        out.append(f'<section class="fn" id="{anchor}" aria-label="{h1(function)}">'
                   f'<h4><span class="mono">{h1(function, 120)}</span> <span class="pts">'
                   f'{n_failed} of {len(checks)} failed · {pts(got)} / {pts(total)}</span></h4>'
                   '<ul class="checks">')
        out.extend(_check_html(c) for c in checks)
        out.append("</ul></section>")
    if v.hidden_checks:
        out.append(f'<p class="muted">{plural(v.hidden_checks, "further check")} '
                   f'{"is" if v.hidden_checks == 1 else "are"} hidden until grades are published.</p>')
    out.append("</section>\n")
    return "".join(out)


def _loss_series(v: StudentView) -> list[svg.Series]:
    curve = v.loss_curve
    series = []
    if curve.student is not None:
        series.append(svg.Series("your train", curve.student, STUDENT_COLOR, width=3.5, marker="circle",
                                 end_label="above"))
    # drawn last, dashed, thinner, with hollow squares: both curves stay visible where they agree
    series.append(svg.Series("reference", curve.reference, REFERENCE_COLOR, dash="7 5", width=2,
                             marker="square", end_label="below"))
    return series


def _loss_sentence(v: StudentView) -> str:
    curve = v.loss_curve
    if curve is None:
        return ("No training-loss curve was recorded for this submission, so there is no plot: "
                "the grader could not run your train function.")
    if curve.student is None:
        return ("Your train function could not be run to the end, so only the reference's curve is "
                "shown. Fix the checks of training_step and train above, then look here again.")
    said = []
    seen = [(i + 1, x) for i, x in enumerate(curve.student) if x is not None]
    ref = [(i + 1, x) for i, x in enumerate(curve.reference) if x is not None]
    if not seen:
        said.append("Your train function produced no loss values.")
    else:
        (e_first, s_first), (e_last, s_last) = seen[0], seen[-1]
        said.append(f"Your loss went from {s_first:.4g} (epoch {e_first}) to {s_last:.4g} (epoch {e_last})")
        if ref:
            said[-1] += f"; the reference's from {ref[0][1]:.4g} to {ref[-1][1]:.4g} (epoch {ref[-1][0]})."
        else:
            said[-1] += "."
        if curve.student_bad_epochs:
            said.append(f"At epoch {curve.student_bad_epochs[0]} it stopped being a number (NaN or "
                        "infinite): the training diverged.")
        if s_last > s_first * 1.05:
            said.append("It rose instead of falling: check the sign of the update, the learning rate, "
                        "and that old gradients are cleared before each backward pass.")
        elif s_last >= s_first * 0.95:
            said.append("It barely fell: check that the optimizer steps and that gradients are cleared "
                        "before each backward pass.")
        elif ref and e_last == len(curve.student) and abs(s_last - ref[-1][1]) <= 0.05 * ref[-1][1] + 1e-3:
            said.append("Your training matches the reference's.")
    return " ".join(said) or "Both curves start from the same weights and the same data."


def _y_cap(v: StudentView) -> float | None:
    ref = [x for x in v.loss_curve.reference if x is not None]
    return max(ref) * Y_CAP_FACTOR if ref else None


def _y_floor(v: StudentView) -> float | None:
    """A loss below zero is drawn down to minus the cap at most (then at the edge, marked)."""
    cap = _y_cap(v)
    ref = [x for x in v.loss_curve.reference if x is not None]
    return min(0.0, *ref) - abs(cap) if cap is not None else None


def _loss_html(v: StudentView) -> str:
    out = ['<section class="keep" aria-labelledby="loss-h"><h2 id="loss-h">Training loss</h2>']
    curve = v.loss_curve
    if curve is None:
        out.append(f"<p>{h(_loss_sentence(v))}</p></section>\n")
        return "".join(out)
    out.append("<p>Your <code>train</code> (with your <code>training_step</code>, on your model) "
               "against the reference, from the same starting weights and data. "
               "No points depend on this plot.</p>")
    chart = svg.line_chart(
        "loss-plot", _loss_series(v), title="Training loss per epoch: yours and the reference's",
        desc=_loss_sentence(v), x_label="epoch", y_label="loss", y_cap=_y_cap(v), y_floor=_y_floor(v))
    out.append(f'<figure>{chart}<figcaption>{h(_loss_sentence(v))}</figcaption></figure>')
    out.append(_loss_table_html(curve))
    out.append("</section>\n")
    return "".join(out)


def _loss_table_html(curve: model.LossCurve) -> str:
    n = max(len(curve.reference), len(curve.student or []))
    rows = []
    for i in range(n):
        r = curve.reference[i] if i < len(curve.reference) else None
        s = curve.student[i] if curve.student is not None and i < len(curve.student) else None
        rows.append(f'<tr><td class="num">{i + 1}</td><td class="num">{"—" if s is None else f"{s:.5g}"}'
                    f'</td><td class="num">{"—" if r is None else f"{r:.5g}"}</td></tr>')
    return ('<details><summary>The numbers</summary><div class="table-wrap"><table>'
            '<thead><tr><th scope="col" class="num">epoch</th><th scope="col" class="num">your loss</th>'
            '<th scope="col" class="num">reference</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table></div></details>")


def _cells_html(v: StudentView) -> str:
    bad = [c for c in v.cells if c["status"] != "ok"]
    out = ['<section aria-labelledby="cells-h"><h2 id="cells-h">Notebook cells that raised</h2>']
    if not v.cells:
        out.append("<p>The grader recorded no cells for your notebook.</p>")
    elif not bad:
        out.append(f"<p>All {len(v.cells)} cells ran without an error.</p>")
    else:
        out.append("<p>These cells raised an error or could not be compiled when the grader ran your "
                   "notebook top to bottom; code after a failing cell may be missing when it is graded.</p>")
        out.append("<ul class=\"checks\">")
        for c in bad:
            label = "skipped" if c["status"] == "skipped" else "error"
            cell = f"Cell {c['cell']}" if c["cell"] is not None else "A cell"
            out.append(f'<li class="check fail"><span class="tag bad">{label}</span><div class="body">'
                       f'<span class="name">{cell}</span><pre>{h(c["message"], 6000)}</pre></div>'
                       f'<span></span></li>')
        out.append("</ul>")
    out.append("</section>\n")
    return "".join(out)


def _quiz_tag(a: QuizAnswer) -> str:
    if not a.answered:
        return '<span class="tag none">not answered</span>'
    if a.full_marks:
        return '<span class="tag ok">right</span>'
    if a.score > 0:
        return '<span class="tag part">partly right</span>'
    return '<span class="tag bad">wrong</span>'


def _quiz_html(v: StudentView) -> str:
    got = sum(a.score for a in v.quiz)
    total = sum(a.max_score for a in v.quiz)
    answered = sum(a.answered for a in v.quiz)
    out = ['<section aria-labelledby="quiz-h"><h2 id="quiz-h">Quiz</h2>',
           f'<p>{pts(got)} / {pts(total)} points; you answered {answered} of {len(v.quiz)} questions. '
           "Feedback is given for the options you chose; the explanation is shown for questions you "
           "answered fully right.</p>"]
    for note in v.quiz_notes:
        out.append(f'<p class="banner">{h(note, 2000)}</p>')
    for a in v.quiz:
        qid = a.qid.upper() if a.in_bank else ""
        out.append(f'<article class="q" id="{_anchor("quiz", a.qid)}"><header><h3>{h1(qid or a.name)}</h3>'
                   f'<span>{_quiz_tag(a)} <span class="muted">{pts(a.score)} / {pts(a.max_score)}</span>'
                   f'</span></header>')
        if a.in_bank:
            out.append(f'<p class="prompt">{h_bank(a.prompt)}</p>')
        if a.chosen:
            out.append("<p><strong>You chose:</strong></p><ul>")
            for c in a.chosen:
                label = f"({h1(c.label, 20)}) "
                text = h_bank if c.option_id else h  # matched: the bank's words; else as the results say
                what = text(c.text) if c.text else ""
                fb = f'<br><span class="muted">{text(c.feedback)}</span>' if c.feedback else ""
                out.append(f"<li>{label}{what}{fb}</li>")
            out.append("</ul>")
        for note in a.notes:
            out.append(f"<p class=\"muted\">{h(note, 1000)}</p>")
        if a.explanation:
            why = h_bank(a.explanation)
            out.append(f'<p class="explanation"><strong>Why:</strong> {why}</p>')
        out.append("</article>")
    out.append("</section>\n")
    return "".join(out)


def _footer_html(v: StudentView) -> str:
    out = ['<footer>']
    bits = []
    if v.execution_time is not None:
        bits.append(f"graded in {_seconds(v.execution_time)}")
    if v.grader_version:
        bits.append(f"grader {h1(v.grader_version, 60)}")
    if bits:
        out.append(f"<p>{' · '.join(bits)}</p>")
    if v.output.strip():
        out.append('<details><summary>The grader\'s full text output (what your code printed is at the '
                   f'end)</summary><pre>{h(v.output, 20000, terminal=True)}</pre></details>')
    out.append("</footer>\n")
    return "".join(out)


# -- Markdown --------------------------------------------------------------------------------

def _indent(block: str, by: str = "   ") -> str:
    return "\n".join(by + line if line else line for line in block.split("\n"))


def render_md(v: StudentView) -> str:
    out = [f"# Feedback: {md(v.name, 200)}", "", f"*{COURSE}*", ""]
    if v.submitted_at:
        out += [f"Submitted {md(when(v.submitted_at))}", ""]
    note = _status_note(v)
    if note:
        out += [f"> **{md(note[0])}.** {md(note[1], 1000)}", ""]
    out += [f"**Score: {pts(v.score)} / {pts(v.max_score)} points** {_pct(v.score, v.max_score)}", ""]
    if v.parts:
        out += ["| Part | Points |", "| --- | ---: |"]
        out += [f"| {md(part_label(p))} | {pts(s)} / {pts(m)} |" for p, s, m in v.parts]
        out.append("")
    if v.graded or v.checks:
        out += _next_md(v) + _checks_md(v) + _loss_md(v)
    if v.notebook:
        out += _cells_md(v)
    if v.quiz or v.quiz_notes:
        out += _quiz_md(v)
    if v.hidden_checks:
        out += [f"*{plural(v.hidden_checks, 'further check')} hidden until grades are published.*", ""]
    return "\n".join(out).rstrip() + "\n"


def _next_md(v: StudentView) -> list[str]:
    out = ["## What to fix next", ""]
    items = todo(v)
    if not v.checks:
        return out + ["No checks were run on your code.", ""]
    if not items:
        return out + ["Nothing: every check of the exercise passed.", ""]
    for i, (part, function, failed) in enumerate(items, start=1):
        lost = sum(c.max_score - c.score for c in failed)
        where = f" ({md(part_label(part))})" if part != model.CORE else ""
        out.append(f"{i}. **{md(function, 120)}**{where}: {plural(len(failed), 'check')} failed, "
                   f"{pts(lost)} point{'s' if lost != 1 else ''} to gain.")
        if i == 1:
            out.append(f"   Start with *{md(failed[0].name)}*.")
            hint = next((c.hint for c in failed if c.hint), "")
            if hint:
                out.append(f"   **Hint:** {md(hint, 2000)}")
    return out + [""]


def _checks_md(v: StudentView) -> list[str]:
    out = ["## Checks, by function", ""]
    groups = model.by_function(v.checks)
    several_parts = len({p for p, _, _ in groups}) > 1
    current = None
    for part, function, checks in groups:
        if several_parts and part != current:
            out += [f"### {md(part_label(part))}", ""]
            current = part
        got = sum(c.score for c in checks)
        total = sum(c.max_score for c in checks)
        if all(c.passed for c in checks):
            out += [f"#### {md(function, 120)}: {pts(got)} / {pts(total)}, "
                    f"all {len(checks)} checks passed", ""]
            continue
        out += [f"#### {md(function, 120)}: {pts(got)} / {pts(total)}", ""]
        for c in checks:
            mark = "✅ passed" if c.passed else ("🟠 partly" if c.score > 0 else "❌ failed")
            out.append(f"- {mark}: {md(c.name)} ({pts(c.score)} / {pts(c.max_score)})")
            if not c.passed:
                if c.message:
                    out += ["", _indent(md_code(c.message, 6000), "  "), ""]
                if c.hint:
                    out += [f"  **Hint:** {md(c.hint, 2000)}", ""]
        out.append("")
    return out


def _loss_md(v: StudentView) -> list[str]:
    out = ["## Training loss", "", md(_loss_sentence(v), 2000), ""]
    curve = v.loss_curve
    if curve is None:
        return out
    out += ["The plot is in the HTML version of this page.", "", "| epoch | your loss | reference |",
            "| ---: | ---: | ---: |"]
    n = max(len(curve.reference), len(curve.student or []))
    for i in range(n):
        r = curve.reference[i] if i < len(curve.reference) else None
        s = curve.student[i] if curve.student is not None and i < len(curve.student) else None
        out.append(f"| {i + 1} | {'—' if s is None else f'{s:.5g}'} | {'—' if r is None else f'{r:.5g}'} |")
    return out + [""]


def _cells_md(v: StudentView) -> list[str]:
    out = ["## Notebook cells that raised", ""]
    bad = [c for c in v.cells if c["status"] != "ok"]
    if not v.cells:
        return out + ["The grader recorded no cells for your notebook.", ""]
    if not bad:
        return out + [f"All {len(v.cells)} cells ran without an error.", ""]
    for c in bad:
        cell = f"Cell {c['cell']}" if c["cell"] is not None else "A cell"
        out += [f"- **{cell}** ({'skipped' if c['status'] == 'skipped' else 'error'})", "",
                _indent(md_code(c["message"], 6000), "  "), ""]
    return out


def _quiz_md(v: StudentView) -> list[str]:
    got = sum(a.score for a in v.quiz)
    total = sum(a.max_score for a in v.quiz)
    out = ["## Quiz", "", f"{pts(got)} / {pts(total)} points; you answered "
           f"{sum(a.answered for a in v.quiz)} of {len(v.quiz)} questions.", ""]
    for note in v.quiz_notes:
        out += [f"> {md(note, 2000)}", ""]
    for a in v.quiz:
        if not a.answered:
            status = "not answered"
        elif a.full_marks:
            status = "right"
        else:
            status = "partly right" if a.score > 0 else "wrong"
        title = a.qid.upper() if a.in_bank else a.name
        out += [f"### {md(title)}: {status} ({pts(a.score)} / {pts(a.max_score)})", ""]
        if a.in_bank:
            out += [md_bank(a.prompt), ""]
        for c in a.chosen:
            text = md_bank if c.option_id else md
            what = f" {text(c.text)}" if c.text else ""
            fb = f": *{text(c.feedback)}*" if c.feedback else ""
            out.append(f"- You chose ({md(c.label, 20)}){what}{fb}")
        if a.chosen:
            out.append("")
        for note in a.notes:
            out += [f"- {md(note, 1000)}"]
        if a.notes:
            out.append("")
        if a.explanation:
            out += [f"**Why:** {md_bank(a.explanation)}", ""]
    return out
