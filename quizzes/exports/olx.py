"""Open edX OLX: a course archive (``course.tar.gz``) for Studio > Tools > Import.

One chapter, one graded sequential ("Quiz"), one vertical holding one problem per
question. Single answer: ``multiplechoiceresponse`` with a ``choicehint`` per
option. Multiple answer: ``choiceresponse partial_credit="EDC"`` with
``choicehint selected="true"`` per option. The explanation is the ``solution``.
"""

from __future__ import annotations

import json

from lxml import etree

from ._package import targz_bytes, unwrap

ORG, COURSE, RUN = "DLPyTorch", "M11", "quiz"
CHAPTER, SEQUENTIAL, VERTICAL = "module11", "module11_quiz", "module11_quiz_unit"


def _xml(root) -> bytes:
    return etree.tostring(root, encoding="UTF-8", pretty_print=True)


def problem_url_name(q) -> str:
    return f"rnn_m11_{q.id}"


def problem_xml(q) -> bytes:
    prob = etree.Element("problem", display_name=f"{q.id.upper()}: {q.topic}",
                         weight=f"{q.points:g}", max_attempts="1", showanswer="finished",
                         markdown="null")
    if q.type == "single":
        resp = etree.SubElement(prob, "multiplechoiceresponse")
        etree.SubElement(resp, "label").text = q.prompt
        group = etree.SubElement(resp, "choicegroup", type="MultipleChoice")
    else:
        resp = etree.SubElement(prob, "choiceresponse", partial_credit="EDC")
        etree.SubElement(resp, "label").text = q.prompt
        group = etree.SubElement(resp, "checkboxgroup")
    for o in q.options:
        choice = etree.SubElement(group, "choice", correct="true" if o.correct else "false",
                                  name=o.id)
        choice.text = o.text
        hint = etree.SubElement(choice, "choicehint")
        if q.type == "multiple":
            hint.set("selected", "true")
        hint.text = o.feedback
    solution = etree.SubElement(resp, "solution")
    div = etree.SubElement(solution, "div", {"class": "detailed-solution"})
    etree.SubElement(div, "p").text = "Explanation"
    etree.SubElement(div, "p").text = unwrap(q.explanation)
    return _xml(prob)


def export(bank) -> bytes:
    files: list[tuple[str, bytes]] = []
    files.append(("course/course.xml", _xml(etree.Element(
        "course", url_name=RUN, org=ORG, course=COURSE))))
    course = etree.Element("course", display_name=bank.title)
    etree.SubElement(course, "chapter", url_name=CHAPTER)
    files.append((f"course/course/{RUN}.xml", _xml(course)))
    chapter = etree.Element("chapter", display_name="Module 11: Recurrent Neural Networks")
    etree.SubElement(chapter, "sequential", url_name=SEQUENTIAL)
    files.append((f"course/chapter/{CHAPTER}.xml", _xml(chapter)))
    seq = etree.Element("sequential", display_name="Quiz", graded="true", format="Quiz")
    etree.SubElement(seq, "vertical", url_name=VERTICAL)
    files.append((f"course/sequential/{SEQUENTIAL}.xml", _xml(seq)))
    vert = etree.Element("vertical", display_name=bank.title)
    for q in bank.questions:
        etree.SubElement(vert, "problem", url_name=problem_url_name(q))
    files.append((f"course/vertical/{VERTICAL}.xml", _xml(vert)))
    for q in bank.questions:
        files.append((f"course/problem/{problem_url_name(q)}.xml", problem_xml(q)))
    policy = {f"course/{RUN}": {"start": "2020-01-01T00:00:00Z", "end": "2030-01-01T00:00:00Z",
                                "course_image": ""}}
    grading = {"GRADER": [{"type": "Quiz", "short_label": "Q", "min_count": 1,
                           "drop_count": 0, "weight": 1.0}],
               "GRADE_CUTOFFS": {"Pass": 0.5}}
    files.append((f"course/policies/{RUN}/policy.json",
                  json.dumps(policy, indent=2, sort_keys=True).encode() + b"\n"))
    files.append((f"course/policies/{RUN}/grading_policy.json",
                  json.dumps(grading, indent=2, sort_keys=True).encode() + b"\n"))
    return targz_bytes(files)
