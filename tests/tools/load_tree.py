#!/usr/bin/env python3
"""Writes the directory trees of the three layers of the load-test image (tests/e2e/load.sh).

    load_tree.py OUT [--seed N] [--scale F]

OUT/l1, OUT/l2 and OUT/l3 become layer trees (tar them to get layers): l1 holds ~400 files in
nested directories, from empty to several MiB, of half-random, half-repetitive content (so that
compressed layers have many spans of real work); l2 replaces, deletes (.wh. files) and adds
files and makes one directory opaque; l3 replaces and adds more. The content is deterministic
for a seed, so a failure can be reproduced.
"""

import argparse
import os
import random

BLOCK = 4096


def content(rng, size):
    """Half-random, half-repetitive bytes: compressible about 2:1, never trivially."""
    text = b"imgmount load test line %d\n" % rng.randrange(1 << 30)
    out = bytearray()
    while len(out) < size:
        if rng.random() < 0.5:
            out += rng.randbytes(BLOCK)
        else:
            out += (text * (BLOCK // len(text) + 1))[:BLOCK]
    return bytes(out[:size])


def file_size(rng, scale):
    """Many small files, some medium ones, a few big ones."""
    roll = rng.random()
    if roll < 0.05:
        return 0
    if roll < 0.6:
        return rng.randrange(1, 16 * 1024)
    if roll < 0.9:
        return int(rng.randrange(16 * 1024, 512 * 1024) * scale)
    return int(rng.randrange(512 * 1024, 6 * 1024 * 1024) * scale)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make(out, seed, scale):
    rng = random.Random(seed)
    base_files = []
    for i in range(400):
        rel = "d%02d/s%d/f%03d.bin" % (i % 20, (i // 20) % 5, i)
        write(os.path.join(out, "l1", rel), content(rng, file_size(rng, scale)))
        base_files.append(rel)

    changed = rng.sample(base_files, 60)
    for rel in changed[:30]:  # replaced with other content and size
        write(os.path.join(out, "l2", rel), content(rng, file_size(rng, scale)))
    for rel in changed[30:40]:  # deleted
        head, name = os.path.split(rel)
        write(os.path.join(out, "l2", head, ".wh." + name), b"")
    write(os.path.join(out, "l2", "d07", ".wh..wh..opq"), b"")  # d07 starts afresh in l2
    for i in range(20):
        write(os.path.join(out, "l2", "d07", "new%02d.bin" % i), content(rng, file_size(rng, scale)))
    for i in range(50):
        rel = "added/a%02d/g%03d.bin" % (i % 7, i)
        write(os.path.join(out, "l2", rel), content(rng, file_size(rng, scale)))

    for rel in changed[40:60]:  # replaced again in l3 (some were not in l2)
        write(os.path.join(out, "l3", rel), content(rng, file_size(rng, scale)))
    for i in range(20):
        write(os.path.join(out, "l3", "top", "t%02d.bin" % i), content(rng, file_size(rng, scale)))
    write(os.path.join(out, "l3", "top", "big.bin"), content(rng, int(8 * 1024 * 1024 * scale)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the larger sizes")
    args = parser.parse_args()
    make(args.out, args.seed, args.scale)


if __name__ == "__main__":
    main()
