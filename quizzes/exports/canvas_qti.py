"""Canvas Classic Quizzes: a QTI 1.2 zip (``imsmanifest.xml``, the assessment,
``assessment_meta.xml``), imported with Settings > Import course content > QTI .zip.

Option idents are ``<question>_<option>`` so they stay unique in the course; each
option's feedback is an ``itemfeedback`` and the explanation is ``general_fb``.
"""

from __future__ import annotations

from lxml import etree

from ._package import unwrap, xml_bytes, zip_bytes

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CANVAS_NS = "http://canvas.instructure.com/xsd/cccv1p0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ASSESSMENT_ID = "rnn_m11_quiz"
RESPONSE = "response1"


def choice_ident(question, option) -> str:
    return f"{question.id}_{option.id}"


def _el(parent, tag, text=None, **attrib):
    el = etree.SubElement(parent, tag, {k.rstrip("_"): str(v) for k, v in attrib.items()})
    if text is not None:
        el.text = text
    return el


def _field(parent, label, entry):
    f = _el(parent, "qtimetadatafield")
    _el(f, "fieldlabel", label)
    _el(f, "fieldentry", entry)


def _material(parent, text):
    _el(_el(parent, "material"), "mattext", text, texttype="text/plain")


def _feedback(item, ident, text):
    fb = _el(item, "itemfeedback", ident=ident)
    _material(_el(fb, "flow_mat"), text)


def _item(section, q):
    item = _el(section, "item", ident=q.id, title=q.id.upper())
    meta = _el(_el(item, "itemmetadata"), "qtimetadata")
    qtype = "multiple_choice_question" if q.type == "single" else "multiple_answers_question"
    _field(meta, "question_type", qtype)
    _field(meta, "points_possible", f"{q.points:g}")
    _field(meta, "original_answer_ids", ",".join(choice_ident(q, o) for o in q.options))
    _field(meta, "assessment_question_identifierref", f"{q.id}_bank")
    pres = _el(item, "presentation")
    _material(pres, q.prompt)
    lid = _el(pres, "response_lid", ident=RESPONSE,
              rcardinality="Single" if q.type == "single" else "Multiple")
    choices = _el(lid, "render_choice")
    for o in q.options:
        _material(_el(choices, "response_label", ident=choice_ident(q, o)), o.text)

    proc = _el(item, "resprocessing")
    _el(_el(proc, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE",
        vartype="Decimal")
    cond = _el(proc, "respcondition", continue_="Yes")
    _el(_el(cond, "conditionvar"), "other")
    _el(cond, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    for o in q.options:
        cond = _el(proc, "respcondition", continue_="Yes")
        _el(_el(cond, "conditionvar"), "varequal", choice_ident(q, o), respident=RESPONSE)
        _el(cond, "displayfeedback", feedbacktype="Response", linkrefid=f"{choice_ident(q, o)}_fb")
    cond = _el(proc, "respcondition", continue_="No")
    var = _el(cond, "conditionvar")
    if q.type == "single":
        key = next(o for o in q.options if o.correct)
        _el(var, "varequal", choice_ident(q, key), respident=RESPONSE)
    else:
        both = _el(var, "and")
        for o in q.options:
            target = both if o.correct else _el(both, "not")
            _el(target, "varequal", choice_ident(q, o), respident=RESPONSE)
    _el(cond, "setvar", "100", action="Set", varname="SCORE")

    _feedback(item, "general_fb", unwrap(q.explanation))
    for o in q.options:
        _feedback(item, f"{choice_ident(q, o)}_fb", o.feedback)


def assessment_xml(bank) -> bytes:
    root = etree.Element(f"{{{QTI_NS}}}questestinterop", nsmap={None: QTI_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation",
             f"{QTI_NS} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd")
    asm = _el(root, "assessment", ident=ASSESSMENT_ID, title=bank.title)
    meta = _el(asm, "qtimetadata")
    _field(meta, "cc_maxattempts", "1")
    section = _el(asm, "section", ident="root_section")
    for q in bank.questions:
        _item(section, q)
    # lxml puts unprefixed SubElements in no namespace; move them into QTI's
    for el in root.iter():
        if isinstance(el.tag, str) and not el.tag.startswith("{"):
            el.tag = f"{{{QTI_NS}}}{el.tag}"
    return xml_bytes(root)


def meta_xml(bank) -> bytes:
    root = etree.Element(f"{{{CANVAS_NS}}}quiz", nsmap={None: CANVAS_NS, "xsi": XSI})
    root.set("identifier", ASSESSMENT_ID)
    root.set(f"{{{XSI}}}schemaLocation",
             f"{CANVAS_NS} https://canvas.instructure.com/xsd/cccv1p0.xsd")
    for tag, text in (("title", bank.title), ("description", ""),
                      ("shuffle_answers", "true"), ("scoring_policy", "keep_highest"),
                      ("quiz_type", "assignment"), ("points_possible", f"{bank.total_points:g}"),
                      ("allowed_attempts", "1"), ("show_correct_answers", "true"),
                      ("one_question_at_a_time", "false")):
        _el(root, f"{{{CANVAS_NS}}}{tag}", text)
    return xml_bytes(root)


def manifest_xml() -> bytes:
    root = etree.Element(f"{{{CP_NS}}}manifest", nsmap={None: CP_NS, "xsi": XSI})
    root.set("identifier", f"{ASSESSMENT_ID}_manifest")
    md = _el(root, f"{{{CP_NS}}}metadata")
    _el(md, f"{{{CP_NS}}}schema", "IMS Content")
    _el(md, f"{{{CP_NS}}}schemaversion", "1.1.3")
    _el(root, f"{{{CP_NS}}}organizations")
    res = _el(root, f"{{{CP_NS}}}resources")
    r = _el(res, f"{{{CP_NS}}}resource", identifier=ASSESSMENT_ID, type="imsqti_xmlv1p2")
    _el(r, f"{{{CP_NS}}}file", href=f"{ASSESSMENT_ID}/{ASSESSMENT_ID}.xml")
    _el(r, f"{{{CP_NS}}}dependency", identifierref=f"{ASSESSMENT_ID}_meta")
    m = _el(res, f"{{{CP_NS}}}resource", identifier=f"{ASSESSMENT_ID}_meta",
            type="associatedcontent/imscc_xmlv1p1/learning-application-resource",
            href=f"{ASSESSMENT_ID}/assessment_meta.xml")
    _el(m, f"{{{CP_NS}}}file", href=f"{ASSESSMENT_ID}/assessment_meta.xml")
    return xml_bytes(root)


def export(bank) -> bytes:
    return zip_bytes([
        ("imsmanifest.xml", manifest_xml()),
        (f"{ASSESSMENT_ID}/{ASSESSMENT_ID}.xml", assessment_xml(bank)),
        (f"{ASSESSMENT_ID}/assessment_meta.xml", meta_xml(bank)),
    ])
