#!/usr/bin/env python3
"""Checks the sparse files served under MOUNT against the same files in ORACLE (GNU tar's
extraction of the same archive):

    sparse_check.py MOUNT ORACLE NAME...

For each NAME: the same size and bytes; walking SEEK_DATA / SEEK_HOLE over the served file gives
regions outside which every byte is zero; a file the oracle holds with no block at all (all hole)
is served with no data region and st_blocks 0. Prints one line per problem; exit 1 if any.
"""

import errno
import os
import sys


def regions(fd, size):
    out, pos = [], 0
    while pos < size:
        try:
            data = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as e:
            if e.errno != errno.ENXIO:
                raise
            break
        hole = os.lseek(fd, data, os.SEEK_HOLE)
        if hole <= data:
            raise AssertionError("SEEK_HOLE %d after SEEK_DATA %d" % (hole, data))
        out.append((data, hole))
        pos = hole
    return out


def check(mount, oracle, name):
    served = os.path.join(mount, name)
    expected = os.path.join(oracle, name)
    with open(expected, "rb") as f:
        want = f.read()
    with open(served, "rb") as f:
        got = f.read()
        found = regions(f.fileno(), len(got))
    problems = []
    if got != want:
        first = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), None)
        problems.append("%s: content differs (sizes %d/%d, first difference at %s)" %
                        (name, len(got), len(want), first))
    covered = bytearray(len(got))
    for start, end in found:
        covered[start:end] = b"\1" * (end - start)
    stray = next((i for i in range(len(got)) if got[i] and not covered[i]), None)
    if stray is not None:
        problems.append("%s: a non-zero byte at %d lies in a served hole" % (name, stray))
    if os.stat(expected).st_blocks == 0:
        if found:
            problems.append("%s: all hole, but served data regions %s" % (name, found[:4]))
        if os.stat(served).st_blocks != 0:
            problems.append("%s: all hole, but st_blocks %d" % (name, os.stat(served).st_blocks))
    return problems


def main():
    mount, oracle, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    problems = []
    for name in names:
        try:
            problems += check(mount, oracle, name)
        except OSError as e:
            problems.append("%s: %s" % (name, e))
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print("%d files: same bytes, holes only where zeros" % len(names))


if __name__ == "__main__":
    main()
