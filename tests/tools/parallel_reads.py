#!/usr/bin/env python3
"""Parallel random readers over a mounted tree, every byte checked against an oracle tree.

    parallel_reads.py MOUNT ORACLE [--readers 8] [--seconds 60] [--seed N] [--allow-eio GLOB]

Each reader process opens random regular files of ORACLE's tree under MOUNT and does random
preads (1 byte to 1 MiB, also at and past the end of the file), now and then a whole file read
sequentially (the mount's read-ahead path), a stat or a directory listing, and compares every
answer with the same operation on ORACLE. After a file, it drops the file's pages from the page
cache half of the time (posix_fadvise DONTNEED), so the reads keep reaching the daemon.

Any difference or error fails, except that with --allow-eio an EIO is accepted for paths that
match one of the globs (damaged data must fail, never be wrong): the summary then also counts
the EIOs, and at least one is required (the damage must be seen).
Exit 0 if all agreed, 1 otherwise; the last line is a one-line summary.
"""

import argparse
import errno
import fnmatch
import multiprocessing
import os
import random
import sys
import time

MAX_REPORTED = 10


def tree_of(root):
    """Regular files (relative path, size) and directories (relative paths) under root."""
    files, dirs = [], []
    for top, subdirs, names in os.walk(root):
        rel_top = os.path.relpath(top, root)
        dirs.append(rel_top)
        for name in names:
            path = os.path.join(top, name)
            st = os.lstat(path)
            if os.path.isfile(path) and not os.path.islink(path):
                files.append((os.path.normpath(os.path.join(rel_top, name)), st.st_size))
        subdirs.sort()
    return sorted(files), sorted(dirs)


class Reader:
    """One reader process's loop and its tallies."""

    def __init__(self, index, args, files, dirs):
        self.rng = random.Random(args.seed * 1000 + index)
        self.args = args
        self.files = files
        self.big = [f for f in files if f[1] >= 1 << 20] or files
        self.dirs = dirs
        self.reads = 0
        self.bytes = 0
        self.eio = 0
        self.problems = []

    def problem(self, text):
        self.problems.append(text)

    def eio_allowed(self, rel):
        return any(fnmatch.fnmatch(rel, pattern) for pattern in self.args.allow_eio)

    def length(self):
        roll = self.rng.random()
        if roll < 0.3:
            return self.rng.randrange(1, 4097)
        if roll < 0.8:
            return self.rng.randrange(4096, 131073)
        return self.rng.randrange(131072, 1 << 20)

    def compare_read(self, rel, fd, oracle_fd, offset, length):
        want = os.pread(oracle_fd, length, offset)
        try:
            got = os.pread(fd, length, offset)
        except OSError as e:
            if e.errno == errno.EIO and self.eio_allowed(rel):
                self.eio += 1
                return
            self.problem("%s: pread(%d, %d): %s" % (rel, offset, length, e))
            return
        self.reads += 1
        self.bytes += len(got)
        if got != want:
            at = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]),
                      min(len(got), len(want)))
            self.problem("%s: pread(%d, %d) got %d bytes, oracle %d, first difference at %d"
                         % (rel, offset, length, len(got), len(want), offset + at))

    def one_file(self):
        rel, size = self.rng.choice(self.big if self.rng.random() < 0.5 else self.files)
        try:
            fd = os.open(os.path.join(self.args.mount, rel), os.O_RDONLY)
        except OSError as e:
            self.problem("%s: open: %s" % (rel, e))
            return
        oracle_fd = os.open(os.path.join(self.args.oracle, rel), os.O_RDONLY)
        try:
            if self.rng.random() < 0.05:
                offset = 0
                while offset <= size:
                    self.compare_read(rel, fd, oracle_fd, offset, 131072)
                    offset += 131072
            else:
                for _ in range(self.rng.randrange(1, 20)):
                    offset = self.rng.randrange(0, size + 2)
                    self.compare_read(rel, fd, oracle_fd, offset, self.length())
            if self.rng.random() < 0.5:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
            os.close(oracle_fd)

    def one_stat(self):
        rel, size = self.rng.choice(self.files)
        try:
            st = os.stat(os.path.join(self.args.mount, rel))
        except OSError as e:
            self.problem("%s: stat: %s" % (rel, e))
            return
        want = os.stat(os.path.join(self.args.oracle, rel))
        if (st.st_size, st.st_mode) != (want.st_size, want.st_mode):
            self.problem("%s: stat says size %d mode %o, oracle %d %o"
                         % (rel, st.st_size, st.st_mode, want.st_size, want.st_mode))

    def one_listing(self):
        rel = self.rng.choice(self.dirs)
        try:
            got = sorted(os.listdir(os.path.join(self.args.mount, rel)))
        except OSError as e:
            self.problem("%s/: listdir: %s" % (rel, e))
            return
        want = sorted(os.listdir(os.path.join(self.args.oracle, rel)))
        if got != want:
            self.problem("%s/: lists %d names, oracle %d" % (rel, len(got), len(want)))

    def run(self, deadline):
        while time.monotonic() < deadline and len(self.problems) < MAX_REPORTED:
            roll = self.rng.random()
            if roll < 0.85:
                self.one_file()
            elif roll < 0.95:
                self.one_stat()
            else:
                self.one_listing()
        return self.reads, self.bytes, self.eio, self.problems


def reader_main(index, args, files, dirs, deadline):
    return Reader(index, args, files, dirs).run(deadline)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mount")
    parser.add_argument("oracle")
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--allow-eio", action="append", default=[], metavar="GLOB")
    args = parser.parse_args()

    files, dirs = tree_of(args.oracle)
    if not files:
        print("no files under %s" % args.oracle)
        return 1
    deadline = time.monotonic() + args.seconds
    start = time.monotonic()
    with multiprocessing.Pool(args.readers) as pool:
        results = pool.starmap(reader_main,
                               [(i, args, files, dirs, deadline) for i in range(args.readers)])
    took = time.monotonic() - start
    reads = sum(r[0] for r in results)
    total = sum(r[1] for r in results)
    eio = sum(r[2] for r in results)
    problems = [p for r in results for p in r[3]]
    for p in problems[:MAX_REPORTED]:
        print(p)
    ok = not problems and reads > 0 and (not args.allow_eio or eio > 0)
    if args.allow_eio and eio == 0:
        print("no EIO seen for %s" % " ".join(args.allow_eio))
    print("%d readers, %.0f s: %d reads, %.1f MiB checked, %d EIO, %d problems over %d files"
          % (args.readers, took, reads, total / 1048576, eio, len(problems), len(files)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
