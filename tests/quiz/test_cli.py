"""`python -m quizzes ...` as users run it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from quizzes.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_module_entry_point_help():
    out = subprocess.run([sys.executable, "-m", "quizzes", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    for cmd in ("validate", "student-copy", "take", "score", "export", "analyze"):
        assert cmd in out.stdout


def test_score_writes_gradescope_results(tmp_path, capsys):
    answers = tmp_path / "quiz_answers.toml"
    answers.write_text('q01 = "b"\nq05 = ["a", "b"]\nq99 = "a"\n')
    results = tmp_path / "results.json"
    assert main(["score", str(answers), "--results", str(results)]) == 0
    data = json.loads(results.read_text())
    assert data["score"] == pytest.approx(1 + 4 / 3, abs=1e-4)
    assert isinstance(data["execution_time"], float)
    assert [t["number"] for t in data["tests"]] == [str(i) for i in range(1, 14)]
    for t in data["tests"]:
        assert {"name", "number", "score", "max_score", "status", "output", "visibility"} <= set(t)
    assert data["tests"][-1]["name"] == "Quiz: answer file"
    main(["score", str(answers), "--results", str(results), "--scheme", "exact"])
    assert json.loads(results.read_text())["score"] == 1


def test_student_copy_has_no_key(tmp_path, bank, monkeypatch):
    monkeypatch.delenv("RNN_QUIZ_SECRET", raising=False)
    out = tmp_path / "sheet.md"
    assert main(["student-copy", "--out", str(out)]) == 0
    text = out.read_text()
    template = (tmp_path / "quiz_answers.toml").read_text()
    assert "correct" not in text.lower() and "Right:" not in text
    assert all(q.prompt in text for q in bank.questions)
    assert 'q05 = []' in template and 'q01 = ""' in template
    assert main(["student-copy", "--out", str(out), "--student", "s1"]) == 2  # no secret
    assert main(["student-copy", "--out", str(out), "--student", "s1", "--secret", "k"]) == 0
    assert 'option_order = "shuffled"' in (tmp_path / "quiz_answers.toml").read_text()


def test_export_all_default_names(tmp_path):
    assert main(["export", "all", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "quiz-canvas-qti.zip" in names and "quiz-edx-olx.tar.gz" in names
    assert len(names) == 6


def test_bad_input_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bank.toml"
    bad.write_text('title = "T"\n[[questions]]\nid = "q1"\ntype = "essay"\n')
    assert main(["validate", "--bank", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {bad}:4: question 'q1': 'type' must be one of single, multiple " \
                  "(got 'essay')"
    assert main(["score", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path / "nope.csv")]) == 2


def test_analyze_writes_table_csv_png(tmp_path, capsys):
    folder = tmp_path / "answers"
    folder.mkdir()
    for sid, q1, q2 in (("s1", "b", "a"), ("s2", "b", "c"), ("s3", "a", "c"), ("s4", "d", "")):
        (folder / f"{sid}.toml").write_text(f'q01 = "{q1}"\nq02 = "{q2}"\n')
    csv_path, png = tmp_path / "ia.csv", tmp_path / "ia.png"
    assert main(["analyze", str(folder), "--csv", str(csv_path), "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "Item analysis (4 students)" in out and "q01" in out
    assert csv_path.read_text().startswith("question,")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
