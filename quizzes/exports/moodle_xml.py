"""Moodle XML: one ``multichoice`` question per bank question, in a category.

Single-answer questions use fraction 100 for the key and 0 otherwise; multiple-answer
questions use the bank's Moodle fractions (``<single>false</single>``). Option
feedback goes in each ``<answer><feedback>``, the explanation in ``generalfeedback``.
"""

from __future__ import annotations

from lxml import etree

from ._package import unwrap, xml_bytes

CATEGORY = "$course$/top/Module 11 - Recurrent Neural Networks"


def _text(parent, tag, text, fmt="plain_text", **attrib):
    el = etree.SubElement(parent, tag, attrib)
    if fmt:
        el.set("format", fmt)
    etree.SubElement(el, "text").text = text
    return el


def fraction_text(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def export(bank) -> bytes:
    quiz = etree.Element("quiz")
    cat = etree.SubElement(quiz, "question", type="category")
    _text(cat, "category", CATEGORY, fmt=None)
    for q in bank.questions:
        el = etree.SubElement(quiz, "question", type="multichoice")
        _text(el, "name", f"{q.id.upper()} {q.topic}".strip(), fmt=None)
        _text(el, "questiontext", q.prompt)
        _text(el, "generalfeedback", unwrap(q.explanation))
        etree.SubElement(el, "defaultgrade").text = f"{q.points:g}"
        etree.SubElement(el, "penalty").text = "0"
        etree.SubElement(el, "hidden").text = "0"
        etree.SubElement(el, "idnumber").text = q.id
        etree.SubElement(el, "single").text = "true" if q.type == "single" else "false"
        etree.SubElement(el, "shuffleanswers").text = "true"
        etree.SubElement(el, "answernumbering").text = "abc"
        etree.SubElement(el, "showstandardinstruction").text = "1"
        for tag, text in (("correctfeedback", "Your answer is correct."),
                          ("partiallycorrectfeedback", "Your answer is partially correct."),
                          ("incorrectfeedback", "Your answer is incorrect.")):
            _text(el, tag, text)
        for o in q.options:
            ans = _text(el, "answer", o.text, fraction=fraction_text(o.fraction))
            _text(ans, "feedback", o.feedback)
    return xml_bytes(quiz)
