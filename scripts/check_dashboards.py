#!/usr/bin/env python3
"""Check that every Grafana dashboard query is answered by a real Prometheus.

    scripts/check_dashboards.py http://127.0.0.1:9090 [--wait-seconds 120] [--dashboards DIR]
    scripts/check_dashboards.py --lint            # offline: JSON structure only, no Prometheus

Every `expr` of every panel in dashboards/*.json is evaluated as an instant query (Grafana variables
replaced: $__rate_interval -> 1m, $__interval -> 15s, $__range -> 5m, other $vars -> .*). An expression
fails when Prometheus answers with an error or with an empty result. Counters only appear once traffic
has passed, so --wait-seconds N retries empty results (and an unreachable Prometheus) for up to N
seconds; syntax errors fail at once.

Each eventhub_* metric named by a dashboard is also looked up on its own. Panels for rare events
(errors, dead letters) fall back to a zero derived from a metric that always exists, so they answer even
before the first error; a metric that has never been seen is reported as a warning, and as a failure with
--strict-metrics.

Exit status: 0 all answered, 1 some failed, 2 usage or unreadable dashboards. Python 3 stdlib only.
"""

import argparse
import json
import pathlib
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DATASOURCE_UID = "prometheus"
SUBSTITUTIONS = [
    (re.compile(r"\$__rate_interval\b|\$\{__rate_interval\}"), "1m"),
    (re.compile(r"\$__interval_ms\b|\$\{__interval_ms\}"), "15000"),
    (re.compile(r"\$__interval\b|\$\{__interval\}"), "15s"),
    (re.compile(r"\$__range\b|\$\{__range\}"), "5m"),
    (re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}|\$[A-Za-z_][A-Za-z0-9_]*"), ".*"),
]
METRIC = re.compile(r"\b(eventhub_[a-z0-9_]+)")
# Quoted strings hold label values and legends, never metric names.
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


class Query:
    def __init__(self, dashboard, panel, ref_id, expr):
        self.dashboard, self.panel, self.ref_id, self.expr = dashboard, panel, ref_id, expr
        self.promql = substitute(expr)

    def where(self):
        return f"{self.dashboard} / {self.panel} / {self.ref_id}"


def substitute(expr):
    for pattern, value in SUBSTITUTIONS:
        expr = pattern.sub(value, expr)
    return expr


def walk_panels(panels):
    for panel in panels or []:
        yield panel
        yield from walk_panels(panel.get("panels"))


def load_queries(directory):
    files = sorted(pathlib.Path(directory).glob("*.json"))
    if not files:
        raise SystemExit(f"check_dashboards: no *.json in {directory}")
    queries, problems = [], []
    for path in files:
        try:
            dash = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            problems.append(f"{path.name}: not readable JSON: {e}")
            continue
        problems.extend(lint(path.name, dash))
        for panel in walk_panels(dash.get("panels")):
            for target in panel.get("targets") or []:
                expr = (target.get("expr") or "").strip()
                if expr:
                    queries.append(Query(path.name, panel.get("title", "?"), target.get("refId", "?"), expr))
    return files, queries, problems


def lint(name, dash):
    """What Grafana provisioning needs, and our own conventions (one datasource uid, unique ids)."""
    out = []
    for key in ("uid", "title", "panels", "schemaVersion"):
        if key not in dash:
            out.append(f"{name}: missing top-level '{key}'")
    ids = set()
    for panel in walk_panels(dash.get("panels")):
        title = panel.get("title", "?")
        pid = panel.get("id")
        if pid in ids:
            out.append(f"{name}: panel id {pid} used twice")
        ids.add(pid)
        grid = panel.get("gridPos") or {}
        if not all(k in grid for k in ("x", "y", "w", "h")):
            out.append(f"{name}: panel '{title}' has no complete gridPos")
        if panel.get("type") == "row":
            continue
        sources = [panel.get("datasource")] + [t.get("datasource") for t in panel.get("targets") or []]
        for ds in sources:
            if not isinstance(ds, dict) or ds.get("uid") != DATASOURCE_UID:
                out.append(f"{name}: panel '{title}' uses datasource {ds!r}, expected uid '{DATASOURCE_UID}'")
                break
        targets = panel.get("targets") or []
        if not targets:
            out.append(f"{name}: panel '{title}' has no query")
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs):
            out.append(f"{name}: panel '{title}' repeats a refId")
    return out


def prom_get(base, path, params, timeout=10.0):
    """(json body or None, error text or None, retryable)."""
    url = f"{base.rstrip('/')}{path}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return json.load(resp), None, False
    except urllib.error.HTTPError as e:
        try:
            body = json.load(e)
            return None, f"{body.get('errorType', e.code)}: {body.get('error', '')}", e.code >= 500
        except ValueError:
            return None, f"HTTP {e.code}", e.code >= 500
    except (urllib.error.URLError, OSError, ValueError) as e:
        return None, f"Prometheus not reachable: {getattr(e, 'reason', e)}", True


def evaluate(base, promql):
    """'ok' | 'empty' | ('error', text, retryable)."""
    body, error, retryable = prom_get(base, "/api/v1/query", {"query": promql})
    if error:
        return ("error", error, retryable)
    if body.get("status") != "success":
        return ("error", f"{body.get('errorType')}: {body.get('error')}", False)
    data = body.get("data", {})
    if data.get("resultType") in ("scalar", "string"):
        return "ok"
    return "ok" if data.get("result") else "empty"


def metric_names(queries):
    names = {}
    for q in queries:
        for name in METRIC.findall(QUOTED.sub('""', q.promql)):
            names.setdefault(name, []).append(q)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("prometheus", nargs="?", help="Prometheus base URL, e.g. http://127.0.0.1:9090")
    ap.add_argument("--dashboards", default=str(pathlib.Path(__file__).resolve().parent.parent / "dashboards"),
                    help="folder of Grafana dashboard JSON files (default: the repository's dashboards/)")
    ap.add_argument("--wait-seconds", type=float, default=0.0,
                    help="keep retrying empty results and an unreachable Prometheus for this long")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between retries (default 2)")
    ap.add_argument("--strict-metrics", action="store_true",
                    help="fail, not warn, when a metric named by a dashboard has no series at all")
    ap.add_argument("--lint", action="store_true", help="check the JSON files only, without Prometheus")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every expression and its result")
    args = ap.parse_args()
    if not args.lint and not args.prometheus:
        ap.error("a Prometheus base URL is required (or --lint)")

    files, queries, problems = load_queries(args.dashboards)
    if problems:
        for p in problems:
            print(f"LINT  {p}")
        print(f"check_dashboards: {len(problems)} structural problem(s) in {len(files)} dashboard(s)")
        return 2
    if args.lint:
        print(f"check_dashboards: {len(files)} dashboard(s), {len(queries)} queries, structure ok")
        return 0

    names = metric_names(queries)
    pending = {id(q): q for q in queries}
    missing = dict.fromkeys(names)
    failures = {}
    deadline = time.monotonic() + args.wait_seconds
    while True:
        retry = False
        for key, q in list(pending.items()):
            result = evaluate(args.prometheus, q.promql)
            if result == "ok":
                del pending[key]
                failures.pop(key, None)
                if args.verbose:
                    print(f"ok    {q.where()}: {q.promql}")
            elif result == "empty":
                failures[key] = "empty result"
                retry = True
            else:
                failures[key] = result[1]
                if result[2]:
                    retry = True
                else:
                    del pending[key]  # a syntax or type error does not heal with time
        for name in list(missing):
            result = evaluate(args.prometheus, f'count({{__name__="{name}"}})')
            if result == "ok":
                del missing[name]
            elif result == "empty":
                missing[name] = "has no series"
            else:
                missing[name] = f"could not be looked up: {result[1]}"
                retry = retry or result[2]
        waiting = pending or (args.strict_metrics and missing)
        if not (retry or waiting) or time.monotonic() >= deadline:
            break
        if args.verbose:
            print(f"...   {len(pending)} queries and {len(missing)} metrics still without data, retrying")
        time.sleep(args.interval)

    by_key = {id(q): q for q in queries}
    for key, why in failures.items():
        q = by_key[key]
        print(f"FAIL  {q.where()}: {why}\n      {q.expr}")
    for name in sorted(missing):
        used_in = sorted({f"{q.dashboard} / {q.panel}" for q in names[name]})
        level = "FAIL " if args.strict_metrics or missing[name] != "has no series" else "WARN "
        print(f"{level} metric {name} {missing[name]} (used in: {'; '.join(used_in)})")
    unanswered = [n for n, why in missing.items() if why != "has no series"]
    failed = len(failures) + (len(missing) if args.strict_metrics else len(unanswered))
    print(f"check_dashboards: {len(queries)} queries in {len(files)} dashboard(s): "
          f"{len(queries) - len(failures)} answered, {len(failures)} failed; "
          f"{len(names) - len(missing)}/{len(names)} metrics seen")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
