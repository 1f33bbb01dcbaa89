#!/usr/bin/env python3
"""Open/read/close cycles over a mounted tree, checked against an oracle tree.

    open_cycles.py MOUNT ORACLE LISTING [--cycles N] [--seed N]

LISTING names regular files (paths relative to both trees, one a line). Each cycle opens a random
one twice under MOUNT, closes the first open, reads the first 4 KiB through the second (so one
open's reads never depend on another's), closes it, and compares with ORACLE's bytes.
Exit 0 if all agreed, 1 otherwise; the last line is a one-line summary.
"""

import argparse
import os
import random
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mount")
    parser.add_argument("oracle")
    parser.add_argument("listing")
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with open(args.listing, encoding="utf-8") as listing:
        paths = [line.rstrip("\n") for line in listing if line.strip()]
    if not paths:
        print("no files listed")
        return 1
    rng = random.Random(args.seed)
    for _ in range(args.cycles):
        path = rng.choice(paths)
        with open(os.path.join(args.oracle, path), "rb") as expected:
            want = expected.read(4096)
        first = os.open(os.path.join(args.mount, path), os.O_RDONLY)
        second = os.open(os.path.join(args.mount, path), os.O_RDONLY)
        os.close(first)
        try:
            got = os.pread(second, 4096, 0)
        finally:
            os.close(second)
        if got != want:
            print(f"{path}: the first 4 KiB differ")
            return 1
    print(f"{2 * args.cycles} opens of {len(paths)} files, each read right")
    return 0


if __name__ == "__main__":
    sys.exit(main())
