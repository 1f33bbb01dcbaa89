#!/usr/bin/env python3
"""Checks the direction of includes in the source tree (docs/ARCHITECTURE.md):

- the libraries: layers -> index -> fs -> tools; a library includes only those before it;
- the rooms (subfolders) of layers/ and index/, in the order ROOMS gives: a room includes its
  own files and those of rooms before it; rooms of one rank (gzip, zstd) never include each
  other;
- inside a room, no include cycle between its concepts (x.h with x.cpp), so no include runs
  back up;
- the headers of FUSE only in fs/, and those of libarchive only in layers/.

Prints each violation and exits 1 if there is any."""
import os
import re
import sys
from collections import defaultdict

LIBRARIES = ["layers", "index", "fs", "tools"]
# Rank of each room of a library; rooms of one rank are siblings that must not include each other.
ROOMS = {
    "layers": {"base": 0, "source": 1, "stream": 2, "gzip": 3, "zstd": 3, "codecs": 4, "tar": 5,
               "registry": 6, "containerd": 6, "image": 7, "toc": 7, "static_link": 8},
    "index": {"layer": 0, "union": 1, "cache": 2, "view": 3},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
SYSTEM_INCLUDE = re.compile(r'^\s*#\s*include\s+<([^>]+)>', re.M)
# System headers of a library that only one folder may include.
CONFINED = {"fuse": "fs", "archive": "layers"}


def place(path):
    """(library, room or None, concept) of a source path, or None outside the libraries."""
    parts = path.split("/")
    if parts[0] not in LIBRARIES:
        return None
    stem = os.path.splitext(parts[-1])[0]
    room = parts[1] if len(parts) == 3 else None
    return parts[0], room, stem


def main(root):
    problems = []
    edges = defaultdict(set)  # (library, room) -> {(concept, included concept)}
    for library in LIBRARIES:
        for folder, _, names in os.walk(os.path.join(root, library)):
            for name in names:
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.relpath(os.path.join(folder, name), root)
                lib, room, concept = place(path)
                if library in ROOMS and room is None:
                    problems.append(f"{path}: outside every room of {library}/")
                    continue
                with open(os.path.join(root, path), encoding="utf-8") as f:
                    text = f.read()
                for header in SYSTEM_INCLUDE.findall(text):
                    for prefix, owner in CONFINED.items():
                        if header.startswith(prefix) and lib != owner:
                            problems.append(f"{path}: includes <{header}>, which only {owner}/ "
                                            f"may include")
                for target in INCLUDE.findall(text):
                    where = place(target)
                    if where is None:
                        continue
                    tlib, troom, tconcept = where
                    if LIBRARIES.index(tlib) > LIBRARIES.index(lib):
                        problems.append(f"{path}: includes {target}, of a later library")
                    elif tlib == lib and lib in ROOMS:
                        ranks = ROOMS[lib]
                        if troom not in ranks or room not in ranks:
                            problems.append(f"{path}: includes {target}: unknown room")
                        elif troom == room:
                            if tconcept != concept:
                                edges[(lib, room)].add((concept, tconcept))
                        elif ranks[troom] >= ranks[room]:
                            problems.append(f"{path}: includes {target}: room {troom}/ does not "
                                            f"come before {room}/")
    for (lib, room), pairs in sorted(edges.items()):
        graph = defaultdict(set)
        for a, b in pairs:
            graph[a].add(b)
        problems += [f"{lib}/{room}/: include cycle {' -> '.join(c)}" for c in cycles(graph)]
    for p in problems:
        print(p)
    print(f"check_layering: {len(problems)} problem(s)")
    return 1 if problems else 0


def cycles(graph):
    """One cycle per strongly connected set of concepts that include each other."""
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
