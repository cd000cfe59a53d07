"""The bundled bank and the messages a malformed bank produces."""

import re

import pytest

from quizzes.bank import BankError, load_bank, parse_bank

MODULE_Q1 = "What is the primary advantage of using RNNs over feedforward neural networks?"
MODULE_Q2 = ("Which of the following is a common technique to mitigate the vanishing gradient "
             "problem in RNNs?")


def test_bundled_bank_has_module_questions_verbatim(bank):
    prompts = [q.prompt for q in bank.questions]
    assert prompts[0] == MODULE_Q1 and prompts[1] == MODULE_Q2
    assert [q.origin for q in bank.questions[:2]] == ["module", "module"]
    assert len(bank.questions) >= 10
    assert {q.type for q in bank.questions} == {"single", "multiple"}
    for q in bank.questions:
        assert q.explanation and all(o.feedback for o in q.options)
        assert len(q.options) >= 4


def test_bank_facts(bank):
    def key_texts(qid):
        return [o.text for o in bank.get(qid).options if o.correct]

    assert key_texts("q02") == ["Replacing the plain RNN cell with an LSTM or GRU cell."]
    adam = next(o for o in bank.get("q02").options if "Adam" in o.text)
    clip = next(o for o in bank.get("q02").options if "clipping" in o.text.lower())
    assert not adam.correct and not clip.correct
    assert "multiplied by 0.25" in key_texts("q06")[0]
    assert key_texts("q08")[0].startswith("640, whatever the sequence length")
    assert key_texts("q09") == ["(4, 3, 16)"]
    assert len(key_texts("q10")) == 2 and "log(1 + e^-2)" in key_texts("q10")[0]
    assert "close to chance" in key_texts("q11")[0]
    assert key_texts("q12")[0].startswith("Learning dependencies longer than 50 steps")


# What the quiz's added questions ask, and words that would hand the answer over if the exercise
# text (what students read while they work) said them.
HANDED_OVER = {
    "q06": ["0.25", "same factor", "keeps its direction"],
    "q08": ["640", "does not depend on the sequence length"],
    "q09": ["(4, 3, 16)", "num_directions", "bidirectional"],
    "q10": ["log(1 + e", "label smoothing", "label_smoothing=0.1"],
    "q11": ["out[:, 0, :]", "close to chance"],
    "q12": ["truncat"],
}


def test_the_exercise_text_does_not_answer_the_quiz():
    import nbformat

    from autograder import paths
    from autograder.nbgrader_course.notebook import SOURCE_NOTEBOOK

    notebook = nbformat.read(SOURCE_NOTEBOOK, as_version=4)
    quiz_at = next(i for i, c in enumerate(notebook.cells) if c.source.startswith("## Quiz"))
    texts = {"solutions/rnn.py": paths.SOLUTION_FILE.read_text(encoding="utf-8"),
             "exercises/README.md": (paths.PROJECT_ROOT / "exercises" / "README.md").read_text(encoding="utf-8"),
             "the notebook's text": "\n".join(c.source for c in notebook.cells[:quiz_at]
                                                if c.cell_type == "markdown")}
    for qid, phrases in HANDED_OVER.items():
        for where, text in texts.items():
            for phrase in phrases:
                assert phrase.lower() not in text.lower(), f"{where} answers {qid}: {phrase!r}"


def test_the_notebook_intro_agrees_with_q02(bank):
    """q02 keys gated cells alone against vanishing gradients; the notebook's first cell must not
    say that clipping and Adam help against it."""
    from autograder.nbgrader_course.notebook import INTRO

    text = " ".join(INTRO.split())
    assert "Clipping caps gradients that explode" in text
    assert "cannot bring back a gradient that has vanished" in text
    assert "Adam help" not in text


GOOD = '''title = "T"

[[questions]]
id = "q01"
type = "single"
points = 1
prompt = "P?"
explanation = "E."

[[questions.options]]
id = "a"
text = "A"
correct = true
feedback = "fa"

[[questions.options]]
id = "b"
text = "B"
correct = false
feedback = "fb"
'''


def _error(text, path="bank.toml"):
    with pytest.raises(BankError) as info:
        parse_bank(text, path)
    return str(info.value)


def _line_of(text, needle, nth=1):
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def test_good_minimal_bank_loads():
    b = parse_bank(GOOD, "bank.toml")
    assert b.get("q01").keys == {"a"}


@pytest.mark.parametrize("edit, needle, nth, words", [
    # (replace old -> new, line that must be reported, occurrence, words in message)
    (('type = "single"', 'type = "essay"'), 'type = "essay"', 1, "'type' must be one of"),
    (("points = 1", "points = 0"), "points = 0", 1, "'points' must be a positive number"),
    (("points = 1", 'points = "one"'), 'points = "one"', 1, "'points'"),
    (('correct = false', 'correct = "no"'), 'correct = "no"', 1, "'correct' must be true"),
    (('correct = false', 'correct = true'), 'type = "single"', 1, "exactly one option"),
    (('id = "b"', 'id = "a"'), 'id = "a"', 2, "duplicate option id 'a'"),
    (('feedback = "fb"', 'feedback = ""'), 'feedback = ""', 1, "'feedback' must be"),
    (('explanation = "E."\n', ''), '[[questions]]', 1, "missing required key 'explanation'"),
    (('text = "B"', 'text = "B"\ncolour = "red"'), 'colour = "red"', 1, "unknown key 'colour'"),
    (('id = "q01"', 'id = "1 bad"'), 'id = "1 bad"', 1, "must start with a letter"),
    (('id = "b"', 'id = "B!"'), 'id = "B!"', 1, "option id 'B!'"),
    (('prompt = "P?"', 'prompt = "P?'), 'prompt = "P?', 1, "not valid TOML"),
    (('correct = false\nfeedback = "fb"', 'correct = false\nfeedback = "fb"\nfraction = 50'),
     "fraction = 50", 1, "only allowed in 'multiple'"),
])
def test_malformed_bank_names_file_line_and_problem(edit, needle, nth, words):
    old, new = edit
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    msg = _error(text)
    assert msg.startswith(f"bank.toml:{_line_of(text, needle, nth)}: "), msg
    assert words in msg


def test_duplicate_question_id_points_at_second_definition():
    second = GOOD.split("\n", 2)[2]  # from the first [[questions]] on
    text = GOOD + "\n" + second
    msg = _error(text)
    line = _line_of(text, 'id = "q01"', 2)
    assert msg.startswith(f"bank.toml:{line}: ")
    assert "duplicate question id 'q01'" in msg


def test_multiple_answer_fraction_checks():
    multi = GOOD.replace('type = "single"', 'type = "multiple"')
    b = parse_bank(multi)
    assert [o.fraction for o in b.get("q01").options] == [100.0, -100.0]
    bad = multi.replace('feedback = "fa"', 'feedback = "fa"\nfraction = 37')
    msg = _error(bad)
    assert re.match(rf"bank.toml:{_line_of(bad, 'fraction = 37')}: .*not one of Moodle", msg)
    half = multi.replace('feedback = "fa"', 'feedback = "fa"\nfraction = 50')
    assert "add up to 50%" in _error(half)


def test_no_questions_and_missing_file(tmp_path):
    assert "no questions" in _error('title = "T"\n')
    msg = str(pytest.raises(BankError, load_bank, tmp_path / "nope.toml").value)
    assert "nope.toml" in msg and "cannot read" in msg
