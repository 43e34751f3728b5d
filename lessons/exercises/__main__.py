"""python -m lessons.exercises {list, where, copy N [DIR], check N FILE}: see lessons/exercises/__init__.py."""
from __future__ import annotations

import argparse
import os
import shutil
import sys

if __package__ in (None, ""):                            # run as a file: find the packages
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from lessons.exercises.grader import EXERCISES, TEMPLATE_DIR, check_file


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lessons.exercises",
                                     description="Backward-pass exercises graded by finite differences.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the exercises")
    sub.add_parser("where", help="print the directory of the templates")
    copy = sub.add_parser("copy", help="copy an exercise's template to DIR (default: the current directory)")
    copy.add_argument("number", type=int)
    copy.add_argument("dir", nargs="?", default=".")
    check = sub.add_parser("check", help="grade your file: exit status 0 pass, 1 fail, 2 cannot grade")
    check.add_argument("number", type=int)
    check.add_argument("file")
    args = parser.parse_args(argv)

    if args.command == "list":
        for ex in EXERCISES.values():
            print(f"{ex.number}  {ex.function:<22} {ex.title}   (template: {ex.filename})")
        print("copy one with `python -m lessons.exercises copy N`, then `python -m lessons.exercises check N FILE`")
        return 0
    if args.command == "where":
        print(TEMPLATE_DIR)
        return 0
    if args.number not in EXERCISES:
        print(f"no exercise {args.number}; there are {sorted(EXERCISES)}", file=sys.stderr)
        return 2
    if args.command == "copy":
        ex = EXERCISES[args.number]
        target = os.path.join(args.dir, ex.filename)
        if os.path.exists(target):
            print(f"{target} exists; not overwriting it", file=sys.stderr)
            return 2
        os.makedirs(args.dir, exist_ok=True)
        shutil.copyfile(os.path.join(TEMPLATE_DIR, ex.filename), target)
        print(f"wrote {target}: fill in {ex.function}, then run\n"
              f"    python -m lessons.exercises check {ex.number} {target}")
        return 0
    status, report = check_file(args.number, args.file)
    print(report, file=sys.stderr if status == 2 else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
