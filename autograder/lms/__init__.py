"""Grades into the LMS, from a ``grade-all`` results folder and nothing else.

Reading (:mod:`.results_folder`) is separate from matching students to the LMS's
own list (:mod:`.id_map`, :mod:`.roster`, :mod:`.matching`), from the late policy
(:mod:`.lateness`, recorded by :mod:`.late_record`) and from the file formats
(:mod:`.canvas`, :mod:`.moodle`, :mod:`.plain_csv`); :mod:`.export` runs
``export-grades`` and :mod:`.lti` the LTI 1.3 score passback. Nothing here
imports torch.

Every string from a student (their name, what their code printed) is written
raw into JSON, neutralised in CSV cells (:func:`.csv_files.cell`) and escaped
on a terminal (:func:`.text.shown`).
"""
