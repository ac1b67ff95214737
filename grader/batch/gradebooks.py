"""Gradebook exports besides `grades.csv`: Canvas's gradebook import (`canvas.csv`).

Canvas imports a CSV with the columns Student, ID, SIS User ID, SIS Login ID and Section, then
one column per assignment, and an optional "Points Possible" row first. Students are matched by
ID or SIS User ID; a new column name makes a new assignment, so rename the column to the Canvas
assignment's own ("Homework 2 (12345)", as Canvas's export names it) to fill that one in. A blank cell
is left alone by Canvas: rows without a score (a missing file, a grader error) stay blank, not 0.
The mapping from what a batch knows: name → Student, id → SIS User ID, email → SIS Login ID
(docs/batch.md says how to map other gradebooks).
"""

from __future__ import annotations

import csv
import io

from grader.batch.report import Layout, Summary, number
from grader.batch.source import Student

CANVAS_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def canvas_csv(layout: Layout, summaries: list[Summary], column: str | None = None) -> str:
    name = column or layout.assignment
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([*CANVAS_HEADER, name])
    possible = layout.max_total + sum(q.points for q in layout.manual)
    writer.writerow(["Points Possible", "", "", "", "", number(possible)])
    for summary in summaries:
        for student in summary.students or (Student(summary.key),):
            writer.writerow([student.name, "", student.id, student.email, "", number(summary.grade)])
    return stream.getvalue()
