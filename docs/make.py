"""Writes the measured numbers and tables of README.md and docs/*.md from their records in results/,
and docs/twins.md's scripts beside their twins from the files.

    uv run docs/make.py            # write every marked number from its record
    uv run docs/make.py --check    # only list the marks that differ from their records

Each page marks the numbers it takes from a record; benchmarks/measured.py says how.
docs/side_by_side.py makes docs/twins.md's side-by-side section.
"""
import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [REPO, os.path.join(REPO, "benchmarks")]
import measured  # noqa: E402
import side_by_side  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing: list each mark that differs from its "
                                                             "record (and a side-by-side section that differs from "
                                                             "its files), and exit 1 if any does")
    args = parser.parse_args()
    if args.check:
        differences = measured.check() + side_by_side.check()
        print("\n".join(differences) or "every marked number is its record's")
        sys.exit(1 if differences else 0)
    changed = measured.write() + side_by_side.write()
    print(f"wrote {', '.join(changed)}" if changed else "every marked number is its record's already")


if __name__ == "__main__":
    main()
