"""Blackboard (and other QTI 2.1 consumers): a zip of one ``assessmentItem`` per
question, an ``assessmentTest`` and an IMS content-packaging manifest.

Each option's feedback is a ``feedbackInline`` shown when that option is chosen;
the explanation is a ``modalFeedback``. Single answer: SCORE = points for the key.
Multiple answer: SCORE = ``mapResponse`` with +points/keys per key and
-points/keys per distractor, floored at 0 (Canvas-style right minus wrong).
"""

from __future__ import annotations

from lxml import etree

from ._package import unwrap, xml_bytes, zip_bytes

NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TEST_ID = "rnn_m11_quiz"


def choice_id(q, o) -> str:
    return f"{q.id}_{o.id}"


def _e(parent, tag, text=None, ns=NS, **attrib):
    el = etree.SubElement(parent, f"{{{ns}}}{tag}", {k: str(v) for k, v in attrib.items()})
    if text is not None:
        el.text = text
    return el


def _outcome(root, ident, card, base, default=None):
    out = _e(root, "outcomeDeclaration", identifier=ident, cardinality=card, baseType=base)
    if default is not None:
        _e(_e(out, "defaultValue"), "value", default)


def _set(parent, ident, child_tag, text=None, **attrib):
    s = _e(parent, "setOutcomeValue", identifier=ident)
    return _e(s, child_tag, text, **attrib)


def item_xml(q) -> bytes:
    root = etree.Element(f"{{{NS}}}assessmentItem", nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{NS} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1p2.xsd")
    for k, v in (("identifier", q.id), ("title", f"{q.id.upper()} {q.topic}".strip()),
                 ("adaptive", "false"), ("timeDependent", "false")):
        root.set(k, v)
    single = q.type == "single"
    decl = _e(root, "responseDeclaration", identifier="RESPONSE",
              cardinality="single" if single else "multiple", baseType="identifier")
    correct = _e(decl, "correctResponse")
    for o in q.options:
        if o.correct:
            _e(correct, "value", choice_id(q, o))
    n_keys = len(q.keys)
    if not single:
        mapping = _e(decl, "mapping", lowerBound="0", upperBound=f"{q.points:g}", defaultValue="0")
        for o in q.options:
            value = q.points / n_keys * (1 if o.correct else -1)
            _e(mapping, "mapEntry", mapKey=choice_id(q, o), mappedValue=f"{value:.6g}")
    _outcome(root, "SCORE", "single", "float", "0")
    _outcome(root, "MAXSCORE", "single", "float", f"{q.points:g}")
    _outcome(root, "FEEDBACK", "single" if single else "multiple", "identifier")
    _outcome(root, "FEEDBACKBASIC", "single", "identifier")

    body = _e(root, "itemBody")
    inter = _e(body, "choiceInteraction", responseIdentifier="RESPONSE", shuffle="true",
               maxChoices="1" if single else "0")
    _e(inter, "prompt", q.prompt)
    for o in q.options:
        ch = _e(inter, "simpleChoice", identifier=choice_id(q, o))
        ch.text = o.text
        _e(ch, "feedbackInline", o.feedback, outcomeIdentifier="FEEDBACK",
           identifier=choice_id(q, o), showHide="show")

    proc = _e(root, "responseProcessing")
    cond = _e(proc, "responseCondition")
    if single:
        branch = _e(cond, "responseIf")
        match = _e(branch, "match")
        _e(match, "variable", identifier="RESPONSE")
        _e(match, "correct", identifier="RESPONSE")
        _set(branch, "SCORE", "variable", identifier="MAXSCORE")
    else:
        branch = _e(cond, "responseIf")
        _e(_e(branch, "isNull"), "variable", identifier="RESPONSE")
        _set(branch, "SCORE", "baseValue", "0", baseType="float")
        other = _e(cond, "responseElse")
        _set(other, "SCORE", "mapResponse", identifier="RESPONSE")
    _set(proc, "FEEDBACK", "variable", identifier="RESPONSE")
    _set(proc, "FEEDBACKBASIC", "baseValue", "explanation", baseType="identifier")
    modal = _e(root, "modalFeedback", outcomeIdentifier="FEEDBACKBASIC", identifier="explanation",
               showHide="show", title="Explanation")
    modal.text = unwrap(q.explanation)
    return xml_bytes(root)


def test_xml(bank) -> bytes:
    root = etree.Element(f"{{{NS}}}assessmentTest", nsmap={None: NS, "xsi": XSI})
    root.set("identifier", TEST_ID)
    root.set("title", bank.title)
    _outcome(root, "SCORE", "single", "float", "0")
    part = _e(root, "testPart", identifier="part1", navigationMode="nonlinear",
              submissionMode="simultaneous")
    section = _e(part, "assessmentSection", identifier="section1", title=bank.title,
                 visible="true")
    for q in bank.questions:
        _e(section, "assessmentItemRef", identifier=q.id, href=f"items/{q.id}.xml")
    proc = _e(root, "outcomeProcessing")
    _e(_e(_e(proc, "setOutcomeValue", identifier="SCORE"), "sum"), "testVariables",
       variableIdentifier="SCORE")
    return xml_bytes(root)


def manifest_xml(bank) -> bytes:
    root = etree.Element(f"{{{CP}}}manifest", nsmap={None: CP, "xsi": XSI})
    root.set("identifier", f"{TEST_ID}_manifest")
    md = _e(root, "metadata", ns=CP)
    _e(md, "schema", "QTIv2.1 Package", ns=CP)
    _e(md, "schemaversion", "1.0.0", ns=CP)
    _e(root, "organizations", ns=CP)
    res = _e(root, "resources", ns=CP)
    test = _e(res, "resource", ns=CP, identifier=f"{TEST_ID}_test", type="imsqti_test_xmlv2p1",
              href=f"{TEST_ID}.xml")
    _e(test, "file", ns=CP, href=f"{TEST_ID}.xml")
    for q in bank.questions:
        _e(test, "dependency", ns=CP, identifierref=f"item_{q.id}")
    for q in bank.questions:
        r = _e(res, "resource", ns=CP, identifier=f"item_{q.id}", type="imsqti_item_xmlv2p1",
               href=f"items/{q.id}.xml")
        _e(r, "file", ns=CP, href=f"items/{q.id}.xml")
    return xml_bytes(root)


def export(bank) -> bytes:
    entries = [("imsmanifest.xml", manifest_xml(bank)), (f"{TEST_ID}.xml", test_xml(bank))]
    entries += [(f"items/{q.id}.xml", item_xml(q)) for q in bank.questions]
    return zip_bytes(entries)
