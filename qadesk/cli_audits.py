"""``qadesk template ...`` and ``qadesk audit ...``: templates in and out, audits started, answered and submitted."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from qadesk.cli_support import (
    EXIT_OK,
    EXIT_REFUSED,
    UsageError,
    _actor,
    _pairs,
    _print_json,
    _store,
    check_chosen,
    selection_from,
)
from qadesk.core.errors import SubmitRefused, ValidationError

SUMMARY_PREFIX = "summary."


def cmd_template(args: argparse.Namespace) -> int:
    from qadesk.exchange.templates import read_template, write_template
    from qadesk.services import templates as svc

    _read_any = read_template

    if args.action in ("validate", "import"):
        from qadesk.core.template import Template
        from qadesk.exchange.templates import EXCEL_SUFFIXES

        def read_template(path: Path | str) -> Template:  # noqa: F811 — Excel files take --lenient/--language
            f = str(path)
            if Path(f).suffix.lower() not in EXCEL_SUFFIXES:
                return _read_any(f)
            from qadesk.exchange.template_xlsx import read_template_xlsx_report

            t, warnings = read_template_xlsx_report(f, lenient=args.lenient, language=args.language)
            for w in warnings:
                print(f"{f}: warning: {w}", file=sys.stderr)
            return t

    if args.action == "diff":
        from qadesk.core.template import parse_key
        from qadesk.core.template_diff import diff_templates

        keys = [parse_key(args.old), parse_key(args.new)]
        with _store(args).session() as s:
            old, new = (svc.get_template(s, tid, ver) for tid, ver in keys)
        print(diff_templates(old, new).describe())
        return EXIT_OK
    if args.action == "validate":
        failed = False
        for f in args.files:
            try:
                t = read_template(f)
            except ValidationError as exc:
                failed = True
                for prob in exc.problems:
                    print(f"{f}: {prob}", file=sys.stderr)
            else:
                print(f"{f}: valid ({t.key}, {sum(1 for _ in t.questions())} questions)")
        return EXIT_REFUSED if failed else EXIT_OK
    if args.action == "import":
        loaded = []
        failed = False
        for f in args.files:
            try:
                loaded.append(read_template(f))
            except ValidationError as exc:
                failed = True
                for prob in exc.problems:
                    print(f"{f}: {prob}", file=sys.stderr)
        if failed:
            print("Nothing was imported.", file=sys.stderr)
            return EXIT_REFUSED
        store = _store(args)
        with store.transaction() as s:
            actor = _actor(s)
            results = [(t, svc.import_template(s, t, actor)[1]) for t in loaded]
        for t, created in results:
            print(f"{t.key}: {'imported' if created else 'already installed, unchanged'} — {t.title}")
        return EXIT_OK
    store = _store(args)
    if args.action == "list":
        with store.session() as s:
            infos = svc.list_templates(s)
        if args.json:
            _print_json([i.as_dict() for i in infos])
        else:
            for i in infos:
                flag = "  (retired)" if i.retired else ""
                print(f"{i.id}\t{i.version}\t{i.kind}\t{i.title}{flag}")
        return EXIT_OK
    if args.action == "export":
        from qadesk.core.template import parse_key

        tid, ver = parse_key(args.key)
        with store.session() as s:
            t = svc.get_template(s, tid, ver)
        path = write_template(t, args.to)
        print(f"{t.key} written to {path}")
        return EXIT_OK
    raise UsageError(args.action)



def cmd_audit(args: argparse.Namespace) -> int:
    from qadesk.services import audits as svc
    from qadesk.services.profile import get_profile

    store = _store(args)
    if args.action == "new":
        with store.transaction() as s:
            profile = get_profile(s)
            auditor = svc.Actor(name=_actor(s), role=profile.role if profile else None)
            audit = svc.start_audit(
                s, args.template,
                svc.Subject(case_ref=args.case_ref, case_type=args.case_type, team=args.team,
                            practitioner=args.practitioner),
                auditor, programme=args.programme)
            print(audit.id)
            print(f"Started {audit.reference} on {audit.template.template_id}@{audit.template.version}", file=sys.stderr)
        return EXIT_OK
    if args.action == "list":
        from qadesk.services.queries import list_audits

        check_chosen(store, args)
        with store.session() as s:
            rows = list_audits(s, selection_from(args), limit=args.limit)
        if args.json:
            _print_json([r.as_dict() for r in rows])
        else:
            for r in rows:
                print(f"{r.reference}\t{r.status}\t{r.template_id}@{r.template_version}\t{r.case_ref or '-'}\t"
                      f"{r.team or '-'}\t{r.grade or '-'}\t{r.id}")
        return EXIT_OK
    if args.action == "show":
        with store.session() as s:
            from qadesk.services.blind_moderation import shown_document

            audit = svc.get_audit(s, args.id)
            doc = shown_document(s, audit)  # without the auditor's grades while it waits for your blind judgement
            t = svc.template_for(audit)
        if args.json:
            _print_json(doc)
        else:
            _print_audit(doc, t)
        return EXIT_OK
    if args.action == "answer":
        evidence = dict(_pairs(args.evidence, "QUESTION"))
        with store.transaction() as s:
            actor = _actor(s)
            for qid, value in _pairs(args.pairs, "QUESTION"):
                if qid.startswith(SUMMARY_PREFIX):  # summary.strengths=... : the audit's summary texts
                    svc.set_summary(s, args.id, qid[len(SUMMARY_PREFIX):], value.strip() or None, actor=actor)
                    continue
                kwargs: dict[str, Any] = {}
                if qid in evidence:
                    kwargs["evidence"] = evidence.pop(qid)
                svc.save_answer(s, args.id, qid, value, actor=actor, strict=True, **kwargs)
            for qid, note in evidence.items():
                audit = svc.get_audit(s, args.id)
                current = svc.state_of(audit).answers.get(qid)
                svc.save_answer(s, args.id, qid, current, actor=actor, evidence=note, strict=True)
        print("Saved.")
        return EXIT_OK
    if args.action == "judge":
        with store.transaction() as s:
            actor = _actor(s)
            for sid, grade in _pairs(args.pairs, "SECTION"):
                svc.set_section_grade(s, args.id, sid, grade, actor=actor)
            kwargs = {}
            if args.overall is not None:
                kwargs["grade"] = args.overall
            if args.rationale is not None:
                kwargs["rationale"] = args.rationale
            result = svc.set_overall(s, args.id, actor=actor, **kwargs)
        print(f"Saved. Suggested overall grade: {result.suggested or 'none'}")
        return EXIT_OK
    if args.action == "submit":
        try:
            with store.transaction() as s:
                audit = svc.submit(s, args.id, actor=_actor(s))
                ref = audit.reference
        except SubmitRefused as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_REFUSED
        print(f"{ref} completed.")
        return EXIT_OK
    if args.action == "reopen":
        with store.transaction() as s:
            audit = svc.reopen(s, args.id, args.reason, actor=_actor(s))
            ref = audit.reference
        print(f"{ref} reopened as a draft.")
        return EXIT_OK
    if args.action == "report":
        from qadesk.services.reporting import write_audit_report

        if Path(args.to).suffix.lower() != ".pdf":
            raise ValidationError(f"an audit's report is written as .pdf, not '{Path(args.to).suffix or args.to}'")
        with store.session() as s:
            path = write_audit_report(s, args.id, Path(args.to))
        print(f"Written {path}")
        return EXIT_OK
    raise UsageError(args.action)


def _print_audit(doc: dict[str, Any], t: Any) -> None:
    from qadesk.exchange.display import answer_text, grade_label, overall_label
    from qadesk.exchange.output import uk_date

    subj = doc["subject"]
    print(f"{doc['reference']}  {t.title} (v{t.version})  [{doc['status']}]")
    print(f"Case {subj.get('case_ref') or '-'} ({subj.get('case_type') or '-'}), team {subj.get('team') or '-'}, "
          f"practitioner {subj.get('practitioner') or '-'}; auditor {doc['auditor']['name'] or '-'}")
    if doc.get("withheld"):
        print(f"(Blind moderation: {doc['withheld']}.)")
    for s in t.sections:
        grade = grade_label(t, s.grade_list, doc["sections"].get(s.id, {}).get("grade"))
        print(f"\n== {s.title}" + (f"  — judgement: {grade}" if grade else ""))
        for q in s.questions:
            if q.id in doc["answers"]:
                a = doc["answers"][q.id]
                print(f"  {q.label}\n    {answer_text(q, a.get('value')) or '-'}"
                      + (f"\n    evidence: {a['evidence']}" if a.get("evidence") else ""))
    o = doc["overall"]
    if doc.get("withheld"):
        o = {"grade": "(withheld)", "suggested": "(withheld)"}
    print(f"\nOverall: {overall_label(t, o['grade']) or '-'} (suggested {overall_label(t, o['suggested']) or '-'})")
    if doc.get("moderations"):
        print(f"Final grade (moderated): {overall_label(t, doc.get('final_grade')) or '-'}")
    for a in doc["actions"]:
        print(f"Action [{a['status']}] {a['text']} — {a['owner'] or '-'}, due {uk_date(a['due']) or '-'}")

