"""A blind moderation request: what its people-readable members (report.pdf, returns.xlsx) leave out.

A moderator who has read the auditor's grades anchors on them. A blind request's PDF and workbook
are the evidence only: no section judgements, no overall grade, no suggested grade, no overall
rationale, no final grade and no earlier moderation. The pack's audit documents (JSON) stay whole,
so the receiving qadesk can show the auditor's judgements beside the moderator's once the moderator
has recorded their own (docs/packs-and-reports.md, "Blind moderation requests").
"""

from __future__ import annotations

import copy
from typing import Any

BLIND_NOTE = ("Blind moderation request: the auditor's judgements (section grades, the overall grade and its "
              "rationale, earlier moderations) are left out here. Record your own judgements in qadesk first; "
              "it then shows the auditor's beside yours.")


def blinded(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of an audit document with the auditor's judgements and every moderation taken out."""
    out = copy.deepcopy(doc)
    out["sections"] = {}
    out["overall"] = {"grade": None, "suggested": None, "rationale": None}
    out["final_grade"] = None
    out["moderations"] = []
    return out
