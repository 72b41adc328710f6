#!/usr/bin/env python3
"""Builds the README's configuration table from `eventhub <command> --help`, so the two never drift.

  python3 scripts/gen_config_table.py [--binary build/eventhub]          # rewrite README.md's table
  python3 scripts/gen_config_table.py --check [--binary build/eventhub]  # exit 1 if README.md differs
"""
import argparse
import pathlib
import re
import subprocess
import sys

COMMANDS = ["", "serve-ingest", "run-worker", "serve-analytics", "all", "migrate", "rollup", "rollup verify", "publish",
            "dlq", "dlq replay"]
BEGIN, END = "<!-- config-table:begin -->", "<!-- config-table:end -->"
# "  --flag TYPE:CHECK=default (Env:NAME)" with the description on the next line, or on the same
# line after two spaces when the flag part is short; boolean flags print "--flag{false}".
OPTION = re.compile(r"^  (?:-\w,)?(--[\w-]+)(?:\{[^}]*\})?(?: ([A-Z]+)(?::[^=(]*)?)?(?:=(\S*))?(?: \.\.\.)?(?: \(Env:(\w+)\))?(?:\s+(\S.*))?\s*$")


def options_of(binary, command):
    out = subprocess.run([binary, *command.split(), "--help"], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    result = []
    for i, line in enumerate(lines):
        m = OPTION.match(line)
        if not m or m.group(1) in ("--help", "--version"):
            continue
        desc = m.group(5) or (lines[i + 1].strip() if i + 1 < len(lines) and lines[i + 1].startswith(" " * 20) else "")
        result.append((m.group(1), m.group(4) or "", m.group(3) or "", desc))
    return result


def table(binary):
    rows = {}
    order = []
    for command in COMMANDS:
        for flag, env, default, desc in options_of(binary, command):
            key = (flag, env)
            if key not in rows:
                rows[key] = {"default": {}, "desc": desc, "commands": []}
                order.append(key)
            rows[key]["commands"].append(command or "(all commands)")
            rows[key]["default"].setdefault(default, []).append(command)
    lines = ["| flag | env | default | commands | description |", "|---|---|---|---|---|"]
    for key in order:
        r = rows[key]
        defaults = r["default"]
        if len(defaults) == 1:
            default = next(iter(defaults)) or "—"
        else:
            default = " / ".join(f"{d or '—'} ({', '.join(c for c in cmds)})" for d, cmds in defaults.items())
        default = default.replace("|", "\\|")
        lines.append(f"| `{key[0]}` | `{key[1]}` | `{default}` | {', '.join(r['commands'])} | {r['desc'].replace('|', '/').replace('<', '&lt;').replace('>', '&gt;')} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/eventhub")
    ap.add_argument("--readme", default=str(pathlib.Path(__file__).resolve().parent.parent / "README.md"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    readme = pathlib.Path(args.readme)
    text = readme.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    wanted = text[:start] + "\n" + table(args.binary) + "\n" + text[end:]
    if args.check:
        if wanted != text:
            print("README.md configuration table differs from `eventhub --help`; run scripts/gen_config_table.py", file=sys.stderr)
            return 1
        print("README.md configuration table matches --help")
        return 0
    readme.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
