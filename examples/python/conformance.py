"""The Python kit's conformance runner (../shared/conformance/FORMAT.md):

    python conformance.py [--live] [--allow TARGET]... [--allow-loopback] [--ca-file PEM] \\
        --component WASM VECTORS.json

Feeds every vector through mail_oauth.Plugin by WIT name. Without --live,
`http` answers from the vector's script and `transport` is the kit's own under
a policy that allows nothing (every connection `denied`); with --live, only
live vectors run, through the kit's real HTTP and TLS sockets under a policy
of exactly the --allow targets. One JSON line per vector, then
`N passed, M failed, K skipped`; exit 0 exactly when none failed, 2 on a
usage or load error.
"""

import argparse
import json
import re
import sys

from wasmtime.component import Record, Variant

from mail_oauth import CallTrapped, Plugin, Policy, WitVariant


# ------------------------------------------------------------------ values and patterns
def kebab(name):
    return name.replace("_", "-")


def to_json(value):
    """The kit's plain data as FORMAT.md's JSON."""
    if isinstance(value, WitVariant):
        out = {"tag": value["tag"]}
        if "val" in value:
            out["val"] = to_json(value["val"])
        return out
    if isinstance(value, dict):
        return {kebab(key): to_json(item) for key, item in value.items()}
    if isinstance(value, tuple) and len(value) == 2 and value[0] in ("ok", "err"):
        return {value[0]: to_json(value[1])}
    if isinstance(value, (bytes, bytearray)):
        return list(value)
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return value


def mismatch(pattern, value, path="result"):
    """None when `value` matches `pattern`, else where and why not."""
    if isinstance(pattern, dict) and set(pattern) == {"$any"}:
        return None
    if isinstance(pattern, dict) and set(pattern) == {"$re"}:
        if not isinstance(value, str):
            return f"{path}: expected a string matching {pattern['$re']!r}"
        try:
            ok = re.fullmatch(pattern["$re"], value) is not None
        except re.error as error:
            return f"{path}: invalid pattern: {error}"
        return None if ok else f"{path}: does not match {pattern['$re']!r}"
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return f"{path}: expected an object"
        for key, sub in pattern.items():
            if key not in value:
                return f"{path}: no key {key!r}"
            why = mismatch(sub, value[key], f"{path}.{key}")
            if why:
                return why
        return None
    if isinstance(pattern, list):
        if not isinstance(value, list) or len(value) != len(pattern):
            return f"{path}: expected an array of {len(pattern)}"
        for i, (sub, item) in enumerate(zip(pattern, value, strict=True)):
            why = mismatch(sub, item, f"{path}[{i}]")
            if why:
                return why
        return None
    if isinstance(pattern, bool) or isinstance(value, bool):
        return None if pattern is value else f"{path}: expected {json.dumps(pattern)}"
    return None if pattern == value else f"{path}: expected {json.dumps(pattern)}"


# ------------------------------------------------------------------ the scripted `http`
class Script:
    """A vector's EXCHANGEs, answered in order; what went wrong, if anything."""

    def __init__(self, exchanges):
        self.exchanges = list(exchanges or [])
        self.next = 0
        self.error = None

    def send(self, request):
        seen = {
            "method": request.method,
            "url": request.url,
            "headers": [[h.name.lower(), h.value] for h in request.headers],
            "body": bytes(request.body).decode("utf-8", "replace"),
        }
        if self.next >= len(self.exchanges):
            self.error = self.error or f"request {self.next + 1} ({request.method} {request.url}) is not in the script"
            return Variant("other", "not in the script")
        exchange = self.exchanges[self.next]
        self.next += 1
        why = mismatch(exchange["request"], seen, f"http[{self.next - 1}].request")
        if why:
            self.error = self.error or why
            return Variant("other", "the request does not match the script")
        if "error" in exchange:
            error = exchange["error"]
            return Variant(error["tag"], error["val"]) if "val" in error else Variant(error["tag"])
        response = exchange["response"]
        record = Record()
        record.status = response["status"]
        headers = []
        for name, value in response.get("headers", []):
            header = Record()
            header.name, header.value = name, value
            headers.append(header)
        record.headers = headers
        record.body = response.get("body", "").encode()
        return record

    def unfinished(self):
        if self.error is None and self.next < len(self.exchanges):
            return f"the component sent {self.next} of the script's {len(self.exchanges)} requests"
        return self.error


# ------------------------------------------------------------------ the run
def parse(argv):
    parser = argparse.ArgumentParser(prog="conformance.sh python")
    parser.add_argument("--live", action="store_true")
    parser.add_argument("--allow", action="append", default=[])
    parser.add_argument("--allow-loopback", action="store_true")
    parser.add_argument("--ca-file")
    parser.add_argument("--component", required=True)
    parser.add_argument("vectors")
    return parser.parse_args(argv)


def policy_of(args):
    if not args.live:
        return Policy()
    origins = [target for target in args.allow if "://" in target]
    targets = [target for target in args.allow if "://" not in target]
    return Policy(
        allow_origins=origins, allow_targets=targets, allow_loopback=args.allow_loopback, ca_file=args.ca_file
    )


class Runner:
    """The plugin, and the script of the vector being run."""

    def __init__(self, args):
        self.live = args.live
        self.script = None
        scripted = None if args.live else self.send
        self.plugin = Plugin(args.component, policy_of(args), http_send=scripted)

    def send(self, request):
        return self.script.send(request)


def run_vector(runner, vector):
    live, plugin = runner.live, runner.plugin
    if bool(vector.get("live")) != live:
        return {"status": "skip", "why": "a live vector (run with --live)" if not live else "not a live vector"}
    script = runner.script = Script(vector.get("http"))
    try:
        result = plugin.call_raw(vector["call"], *vector["args"])
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        return {"status": "fail", "why": f"the vector does not fit the function: {error}"}
    except CallTrapped as error:
        return {"status": "fail", "why": str(error)}
    actual = to_json(result)
    why = None if live else script.unfinished()
    why = why or mismatch(vector["expect"], actual)
    if why:
        return {"status": "fail", "why": why, "actual": actual}
    return {"status": "pass", "why": "the result matches"}


def main(argv):
    args = parse(argv)
    try:
        with open(args.vectors, encoding="utf-8") as f:
            vectors = json.load(f)["vectors"]
        runner = Runner(args)
    except (OSError, ValueError, KeyError) as error:
        print(f"conformance.py: {error}", file=sys.stderr)
        return 2
    tally = {"pass": 0, "fail": 0, "skip": 0}
    names = set()
    for i, vector in enumerate(vectors):
        name = vector.get("name", f"vectors[{i}]")
        if name in names:
            outcome = {"status": "fail", "why": "another vector has this name"}
        else:
            names.add(name)
            outcome = run_vector(runner, vector)
        tally[outcome["status"]] += 1
        print(json.dumps({"name": name, **outcome}, ensure_ascii=False), flush=True)
    print(f"{tally['pass']} passed, {tally['fail']} failed, {tally['skip']} skipped")
    return 0 if tally["fail"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
