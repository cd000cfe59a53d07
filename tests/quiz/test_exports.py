"""Each export is read back by a parser made for its format; everything survives."""

import hashlib
import io
import json
import sys
import tarfile
import types
import zipfile

import pytest
from lxml import etree

from quizzes.exports import FORMATS, export
from quizzes.exports._package import unwrap
from tests.conftest import run


def norm(text):
    return unwrap(text or "")


DIGESTS = ("import hashlib, json; from quizzes import load_bank; from quizzes.exports import FORMATS, export; "
           "print(json.dumps({f: hashlib.sha256(export(f, load_bank())).hexdigest() for f in FORMATS}))")


@pytest.mark.slow
def test_exports_are_byte_identical_across_runs(bank):
    """Another interpreter, with other hash seeds (set and dict order), gives the same bytes."""
    here = {fmt: hashlib.sha256(export(fmt, bank)).hexdigest() for fmt in FORMATS}
    for seed in ("1", "2"):
        proc = run([sys.executable, "-c", DIGESTS], env={"PYTHONHASHSEED": seed})
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == here, f"PYTHONHASHSEED={seed}"


def test_zip_entries_have_fixed_dates_and_order(bank):
    for fmt in ("canvas", "blackboard"):
        with zipfile.ZipFile(io.BytesIO(export(fmt, bank))) as zf:
            assert {i.date_time for i in zf.infolist()} == {(2020, 1, 1, 0, 0, 0)}
            assert zf.namelist()[0] == "imsmanifest.xml"


def _write(tmp_path, fmt, bank, name):
    p = tmp_path / name
    p.write_bytes(export(fmt, bank))
    return p


def test_canvas_qti_passes_check_package_and_round_trips(bank, tmp_path):
    from qti_package_maker.common.package_integrity import check_package

    path = _write(tmp_path, "canvas", bank, "canvas.zip")
    assert check_package(str(path)) == []
    ns = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}
    with zipfile.ZipFile(path) as zf:
        root = etree.fromstring(zf.read("rnn_m11_quiz/rnn_m11_quiz.xml"))
        assert b"<title>" in zf.read("rnn_m11_quiz/assessment_meta.xml")
    items = root.findall(".//q:item", ns)
    assert [i.get("ident") for i in items] == [q.id for q in bank.questions]
    for item, q in zip(items, bank.questions, strict=True):
        def field(label, item=item):
            return item.xpath(f".//q:qtimetadatafield[q:fieldlabel='{label}']/q:fieldentry/text()",
                              namespaces=ns)[0]
        assert field("question_type") == ("multiple_choice_question" if q.type == "single"
                                          else "multiple_answers_question")
        assert float(field("points_possible")) == q.points
        assert norm(item.find("q:presentation/q:material/q:mattext", ns).text) == q.prompt
        labels = item.findall(".//q:response_label", ns)
        assert [norm(lab.find(".//q:mattext", ns).text) for lab in labels] == \
            [o.text for o in q.options]
        fb = {f.get("ident"): norm(f.find(".//q:mattext", ns).text)
              for f in item.findall("q:itemfeedback", ns)}
        assert fb["general_fb"] == norm(q.explanation)
        for o in q.options:
            assert fb[f"{q.id}_{o.id}_fb"] == o.feedback
        scoring = item.xpath(".//q:respcondition[q:setvar='100']//q:varequal", namespaces=ns)
        keys = {v.text.split("_")[1] for v in scoring if v.getparent().tag != f"{{{ns['q']}}}not"}
        assert keys == set(q.keys)


def test_check_package_catches_a_broken_key(bank, tmp_path):
    from qti_package_maker.common.package_integrity import check_package

    src = zipfile.ZipFile(io.BytesIO(export("canvas", bank)))
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for name in src.namelist():
            data = src.read(name)
            if name.endswith("rnn_m11_quiz.xml"):
                data = data.replace(b'>q01_b</varequal>', b'>q01_zz</varequal>')
            zf.writestr(name, data)
    assert any("q01_zz" in v for v in check_package(str(bad)))


def test_blackboard_qti21_passes_check_package_and_round_trips(bank, tmp_path):
    from qti_package_maker.common.package_integrity import check_package

    path = _write(tmp_path, "blackboard", bank, "bb.zip")
    assert check_package(str(path)) == []
    ns = {"q": "http://www.imsglobal.org/xsd/imsqti_v2p1"}
    with zipfile.ZipFile(path) as zf:
        for q in bank.questions:
            root = etree.fromstring(zf.read(f"items/{q.id}.xml"))
            assert norm(root.find(".//q:prompt", ns).text) == q.prompt
            choices = root.findall(".//q:simpleChoice", ns)
            assert [norm(c.text) for c in choices] == [o.text for o in q.options]
            assert [norm(c.find("q:feedbackInline", ns).text) for c in choices] == \
                [o.feedback for o in q.options]
            keys = {v.text.split("_")[1] for v in root.findall(".//q:correctResponse/q:value", ns)}
            assert keys == set(q.keys)
            assert norm(root.find("q:modalFeedback", ns).text) == norm(q.explanation)
            assert root.find(".//q:outcomeDeclaration[@identifier='MAXSCORE']//q:value",
                             ns).text == f"{q.points:g}"


def test_blackboard_tsv_read_by_qti_package_maker(bank, tmp_path):
    from qti_package_maker.engines.bbq_text_upload.read_package import read_items_from_file

    path = _write(tmp_path, "blackboard-tsv", bank, "bb.txt")
    items = list(read_items_from_file(str(path), allow_mixed=True).items_dict.values())
    assert len(items) == len(bank.questions)
    for item, q in zip(items, bank.questions, strict=True):
        assert item.question_text == q.prompt
        assert list(item.choices_list) == [o.text for o in q.options]
        answers = [item.answer_text] if q.type == "single" else list(item.answers_list)
        assert answers == [o.text for o in q.options if o.correct]


def test_moodle_xml_read_by_moodle_xml_parser(bank, tmp_path):
    from moodle_xml_parser.parser import parse_file

    path = _write(tmp_path, "moodle-xml", bank, "quiz.xml")
    parsed = parse_file(str(path))["multichoice"]
    assert len(parsed) == len(bank.questions)
    for mq, q in zip(parsed, bank.questions, strict=True):
        assert norm(mq.text_pre_parse) == q.prompt
        assert mq.single is (q.type == "single")
        assert mq.default_grade == q.points
        assert norm(mq.general_feedback) == norm(q.explanation)
        assert [norm(o.answer) for o in mq.options] == [o.text for o in q.options]
        assert [norm(o.feedback) for o in mq.options] == [o.feedback for o in q.options]
        assert [o.score_fraction for o in mq.options] == \
            pytest.approx([o.fraction for o in q.options], abs=1e-4)
        assert {o.id for o, m in zip(q.options, mq.options, strict=True)
                if m.score_fraction > 0} == set(q.keys)


@pytest.fixture(scope="module")
def pygiftparser():
    # pygiftparser needs markdown 3.0.x, which imports pkg_resources (gone from
    # setuptools >= 81). Only its extension lookup uses it; give it an empty one.
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        shim = types.ModuleType("pkg_resources")
        shim.iter_entry_points = lambda *a, **k: iter(())
        sys.modules["pkg_resources"] = shim
    import pygiftparser.parser as parser

    return parser


def test_gift_read_by_pygiftparser(bank, tmp_path, pygiftparser):
    from quizzes.exports.gift import unescape

    path = _write(tmp_path, "gift", bank, "quiz.gift")
    with open(path, encoding="utf-8") as f:
        parsed = pygiftparser.parseFile(f)
    assert len(parsed) == len(bank.questions)
    for gq, q in zip(parsed, bank.questions, strict=True):
        gq.parse(gq.source)
        assert gq.valid and gq.title == q.id
        assert unescape(gq.text) == q.prompt
        assert unescape(gq.generalFeedback) == norm(q.explanation)
        kind = "SelectSet" if q.type == "single" else "MultipleChoicesSet"
        assert type(gq.answers).__name__ == kind
        answers = gq.answers.answers
        assert [unescape(a.answer) for a in answers] == [o.text for o in q.options]
        assert [unescape(a.feedback) for a in answers] == [o.feedback for o in q.options]
        assert [a.fraction for a in answers] == \
            pytest.approx([o.fraction for o in q.options], abs=1e-4)


def test_olx_validated_by_olxcleaner(bank, tmp_path):
    from olxcleaner import validate

    with tarfile.open(fileobj=io.BytesIO(export("olx", bank))) as tf:
        tf.extractall(tmp_path, filter="data") if sys.version_info >= (3, 12) \
            else tf.extractall(tmp_path)
    course, errors, _ = validate(str(tmp_path / "course"), steps=8)
    assert course is not None
    assert [e.description for e in errors.errors] == []
    problems = [p for p in (tmp_path / "course" / "problem").iterdir()]
    assert len(problems) == len(bank.questions)
    for q in bank.questions:
        root = etree.parse(str(tmp_path / "course" / "problem" / f"rnn_m11_{q.id}.xml")).getroot()
        assert float(root.get("weight")) == q.points
        resp = root[0]
        assert resp.tag == ("multiplechoiceresponse" if q.type == "single" else "choiceresponse")
        if q.type == "multiple":
            assert resp.get("partial_credit") == "EDC"
        assert resp.find("label").text == q.prompt
        choices = resp.findall(".//choice")
        assert [norm(c.text) for c in choices] == [o.text for o in q.options]
        assert [c.find("choicehint").text for c in choices] == [o.feedback for o in q.options]
        assert {c.get("name") for c in choices if c.get("correct") == "true"} == set(q.keys)
        assert norm(resp.find("solution").xpath("string()")).endswith(norm(q.explanation))
