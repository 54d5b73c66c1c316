#!/usr/bin/env python3
"""Checks that no crate of the workspace has a module cycle.

For each crate's src/ it builds the graph "module A names module B" from the
`crate::` paths (and `super::` paths, resolved) in A's file, leaving out the
`#[cfg(test)] mod tests` block at the end of a file (a test module uses its
parent, which is not a dependency of the parent). Prints each crate's
layers, bottom first, and every cycle; exits 1 when there is one. Names
brought in by trait impls (`.into()`) are invisible to it: a cycle through
them would still compile, so the check is a floor, not a proof.

Usage: python3 tests/layers.py [SRC_DIR ...]   (default: every crate)
"""
import os
import re
import sys

CRATES = [
    "guest/src",
    "host-harness/runtime/src",
    "host-harness/store/src",
    "host-harness/cli/src",
    "tests/artifacts/src",
    "tests/optimize/src",
]
PATH = r"[A-Za-z_]\w*(?:::[A-Za-z_]\w*)*"


def modules(src_dir):
    """Module path -> file, for every module file under src_dir (no bin/)."""
    found = {}
    for folder, _, names in os.walk(src_dir):
        if "bin" in os.path.relpath(folder, src_dir).split(os.sep):
            continue
        for name in names:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(folder, name), src_dir)[:-3]
            parts = rel.split(os.sep)
            if parts[-1] == "mod":
                parts.pop()
            if parts in (["lib"], ["main"]):
                continue  # the crate root declares modules; it is not a layer
            found["::".join(parts)] = os.path.join(folder, name)
    return found


def source(path):
    text = open(path, encoding="utf-8").read()
    cut = re.search(r"^#\[cfg\(test\)\]\s*\n\s*mod tests\b", text, re.M)
    if cut:
        text = text[: cut.start()]
    return re.sub(r"//[^\n]*", "", text)


def edges_of(mods):
    def resolve(path):
        segs = path.split("::")
        for n in range(len(segs), 0, -1):
            candidate = "::".join(segs[:n])
            if candidate in mods:
                return candidate
        return None

    edges = {m: set() for m in mods}
    for mod, path in mods.items():
        text = source(path)
        parent = mod.rsplit("::", 1)[0] if "::" in mod else ""
        named = []
        for group in re.finditer(r"crate::\{([^;]*?)\}\s*;", text, re.S):
            named += [i.strip().split(" as ")[0] for i in group.group(1).split(",")]
        named += re.findall(r"crate::(" + PATH + ")", text)
        for hit in re.findall(r"\bsuper::(" + PATH + ")", text):
            named.append((parent + "::" if parent else "") + hit)
        # A parent naming its child by a relative path (`child::x`).
        for child in mods:
            if child.startswith(mod + "::") and child.count("::") == mod.count("::") + 1:
                if re.search(r"(?<![:\w])" + child.rsplit("::", 1)[1] + r"::", text):
                    edges[mod].add(child)
        for name in named:
            head = re.match(PATH, name.strip())
            target = resolve(head.group(0)) if head else None
            if target and target != mod:
                edges[mod].add(target)
    return edges


def cycles_of(edges):
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def layers_of(edges):
    level = {}

    def depth(v):
        if v not in level:
            level[v] = 1 + max((depth(w) for w in edges[v]), default=-1)
        return level[v]

    for v in edges:
        depth(v)
    return [sorted(v for v in level if level[v] == n) for n in range(max(level.values(), default=-1) + 1)]


def main(args):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bad = 0
    for src_dir in args or [os.path.join(root, c) for c in CRATES]:
        edges = edges_of(modules(src_dir))
        cycles = cycles_of(edges)
        name = os.path.relpath(src_dir, root)
        if cycles:
            bad += 1
            print(f"{name}: CYCLES: " + "; ".join(" <-> ".join(c) for c in cycles))
        else:
            layers = layers_of(edges)
            print(f"{name}: no cycle; layers, bottom first: " + " | ".join(" ".join(l) for l in layers))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
