"""The findings (findings.py) for people: OUTDIR/clusters.html (one self-contained file, no
script), OUTDIR/clusters.json, and the few lines printed at the end of a batch.

Every text that a submission could have shaped (its key, its students' names, its answer) is
escaped on the page; the JSON holds it cleaned (text.clean) and bounded.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from grader.batch.report import STYLE, page_path

if TYPE_CHECKING:  # (findings.py imports this module to write the page)
    from grader.batch.clusters import Cluster
    from grader.batch.collusion import Pair
    from grader.batch.findings import Findings
    from grader.batch.snippets import Group

EXTRA_STYLE = ("pre{background:#f5f7fa;border:1px solid #d9e2ec;border-radius:6px;padding:8px;overflow-x:auto;"
               "font-size:13px;margin:4px 0}code{font-size:13px}.known{color:#627d98}"
               ".signal{background:#f0f4f8;border:1px solid #bcccdc;padding:8px 12px;border-radius:6px}")

SIGNAL = ("These pairs of submissions went wrong in the same unusual way on inputs they could not see (hidden "
          "or randomized cases), more often than the threshold. That can come from working together as "
          "allowed, a shared source (a forum post, a tutor, last year's solution), or a common misreading of "
          "the handout. It is a signal for a person to look at the two submissions, not a finding: it says "
          "nothing about who wrote what.")


WHO_SHOWN = 40  # submissions named in one list; clusters.json has them all


def _who(keys: tuple[str, ...] | list[str], names: dict[str, str]) -> str:
    links = []
    for key in keys[:WHO_SHOWN]:
        label = f"{key} ({names[key]})" if names.get(key) and names[key] != key else key
        links.append(f'<a href="{escape(page_path(key))}">{escape(label)}</a>')
    more = f" and {len(keys) - WHO_SHOWN} more (clusters.json lists them)" if len(keys) > WHO_SHOWN else ""
    return ", ".join(links) + more


def _where(cluster: Cluster) -> str:
    kinds = [k for k, on in (("hidden", cluster.hidden), ("random inputs", cluster.random)) if on]
    return f"{cluster.case}" + (f" ({', '.join(kinds)})" if kinds else "")


def _group_html(group: Group, findings: Findings) -> list[str]:
    first = group.clusters[0]
    checks = ", ".join(dict.fromkeys(f"{c.check_name} (question {c.question})" for c in group.clusters))
    parts = [f"<h3>{escape(first.function)}: {group.size} submissions, one wrong answer on "
             f"{len(group.clusters)} case(s)</h3>",
             f"<p>Who: {_who(group.members, findings.names)}<br>Check(s): {escape(checks)}</p>",
             "<table><tr><th>case</th><th>their answer</th><th>reproduced by</th></tr>"]
    for cluster in group.clusters:
        mutants = "<br>".join(f"<code>{escape(m.id)}</code>: {escape(m.description)}"
                              + ("" if m.own else escape(f" (a mutant of {m.function})")) for m in cluster.mutants)
        parts.append(f"<tr><td>{escape(_where(cluster))}</td><td><code>{escape(cluster.shown)}</code></td>"
                     f"<td>{mutants or '-'}</td></tr>")
    parts.append("</table>")
    if group.known is not None:
        parts.append(f'<p class="known">Already a known mistake of the rubric: {escape(group.known)}.</p>')
    made = group.snippet
    if made is not None:
        what = (f"the mutant {made.mutant}, renamed" if made.mutant else
                "a stub: write in it the wrong formula these students used")
        parts += [f"<p>To name it: paste this under the check in the rubric, and into the reference module "
                  f"{escape(what)}:</p>", f"<pre>{escape(made.yaml)}</pre>", f"<pre>{escape(made.python)}</pre>"]
    return parts


def _pair_html(pair: Pair, findings: Findings) -> str:
    shared = "; ".join(f"{s.function} on {s.case} ({s.size} submissions gave it: weight {s.weight:.2g})"
                       for s in pair.shared)
    return (f"<tr><td>{_who([pair.first], findings.names)}</td><td>{_who([pair.second], findings.names)}</td>"
            f'<td class="n">{pair.score:.3g}</td><td>{escape(shared)}</td></tr>')


def page_html(findings: Findings, generated: str = "") -> str:
    new = [g for g in findings.groups if g.known is None]
    known = [g for g in findings.groups if g.known is not None]
    title = f"{findings.assignment}: shared wrong answers"
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">', f"<title>{escape(title)}</title>",
           f"<style>{STYLE}{EXTRA_STYLE}</style></head><body>", f"<h1>{escape(title)}</h1>",
           f'<p class="muted">{findings.records} submissions\' answers read'
           f"{escape(', ' + generated) if generated else ''}. Clusters of at least {findings.options.min_size} "
           f"submissions that gave one wrong answer (equal by the check's comparator) to one case, grouped by "
           f"function and submissions. Mutants: {escape(findings.mutants)}.</p>",
           '<p><a href="report.html">Back to the batch report</a></p>']
    if findings.notes:
        out.append('<p class="partial">' + "<br>".join(escape(n) for n in findings.notes) + "</p>")
    out.append(f"<h2>Not named by the rubric yet ({len(new)})</h2>")
    if not new:
        out.append('<p class="muted">No wrong answer is shared by that many submissions.</p>')
    for group in new:
        out += _group_html(group, findings)
    if known:
        out.append(f"<h2>Known mistakes of the rubric ({len(known)})</h2>")
        for group in known:
            out += _group_html(group, findings)
    out += [f"<h2>Pairs to look at ({len(findings.pairs)})</h2>", f'<p class="signal">{escape(SIGNAL)}</p>',
            f'<p class="muted">Score: over each function, the rarest wrong answer the pair shares, weighted 1 / '
            f"(submissions that gave it - 1), added up; listed above {findings.options.threshold:g}. Only wrong "
            "answers on hidden or randomized cases count, and no known mistake or placeholder answer (None, "
            "zeros, empty).</p>"]
    if findings.pairs:
        out.append("<table><tr><th>submission</th><th>submission</th><th>score</th><th>wrong answers they share"
                   "</th></tr>")
        out += [_pair_html(pair, findings) for pair in findings.pairs]
        out.append("</table>")
    else:
        out.append('<p class="muted">No pair is above the threshold.</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _cluster_json(cluster: Cluster) -> dict[str, Any]:
    return {"case": cluster.case, "check": cluster.check, "question": cluster.question, "size": cluster.size,
            "answer": cluster.shown, "known": cluster.known, "hidden": cluster.hidden, "random": cluster.random,
            "mutants": [{"id": m.id, "function": m.function, "operator": m.operator, "line": m.line,
                         "description": m.description, "own": m.own} for m in cluster.mutants]}


def _group_json(group: Group) -> dict[str, Any]:
    made = group.snippet
    return {"function": group.function, "members": list(group.members), "known": group.known,
            "clusters": [_cluster_json(c) for c in group.clusters],
            "snippet": None if made is None else {"function": made.function, "yaml": made.yaml,
                                                  "checks": dict(made.items), "python": made.python,
                                                  "mutant": made.mutant}}


def to_json(findings: Findings) -> str:
    document = {
        "assignment": findings.assignment, "records": findings.records, "mutants": findings.mutants,
        "options": {"min_size": findings.options.min_size, "threshold": findings.options.threshold},
        "notes": findings.notes, "names": findings.names,
        "groups": [_group_json(g) for g in findings.groups],
        "pairs": [{"first": p.first, "second": p.second, "score": p.score,
                   "shared": [{"function": s.function, "case": s.case, "size": s.size, "weight": round(s.weight, 6)}
                              for s in p.shared]} for p in findings.pairs],
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def summary_lines(findings: Findings, where: str) -> list[str]:
    """What the terminal shows at the end: counts, the largest groups, the pairs' number."""
    new = [g for g in findings.groups if g.known is None]
    lines = [f"clusters: {len(findings.groups)} wrong answers shared by {findings.options.min_size} or more "
             f"submissions ({len(new)} not named by the rubric), from {findings.records} submissions' answers; "
             f"{len(findings.pairs)} pair(s) to look at; see {where}"]
    for group in new[:5]:
        cases = ", ".join(c.case for c in group.clusters[:3]) + (" ..." if len(group.clusters) > 3 else "")
        mutant = f", reproduced by mutant {group.snippet.mutant}" if group.snippet and group.snippet.mutant else ""
        lines.append(f"  {group.size} submissions on {cases}{mutant}")
    lines += [f"  note: {note}" for note in findings.notes[:3]]
    return lines
