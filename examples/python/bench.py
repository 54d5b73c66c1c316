"""Benchmarks of the Python kit (not tests), each against a baseline measured
in the same run, printed as a markdown table:

- `sasl.xoauth2` through the kit (a fresh instance per call) vs the same
  string built by Python's own base64;
- a token refresh at the local AS (tests/peers) through the kit vs authlib's
  OAuth2Session doing the same refresh on the same AS (two rotating chains,
  calls interleaved);
- instantiate + call + drop, and instantiation alone;
- resident memory and load time per loaded component.

    python bench.py [--rounds N]       (bash bench.sh runs it in the venv)
"""

import argparse
import base64
import os
import statistics
import time
from pathlib import Path

import wasmtime
from authlib.integrations.requests_client import OAuth2Session

from mail_oauth import Plugin, Policy
from test_e2e import ALICE, AS, play_browser

WASM = Path(
    os.environ.get("MAIL_OAUTH_WASM") or Path(__file__).resolve().parents[2] / "target/artifacts/mail_oauth_guest.wasm"
)
CLIENT = {"id": "mail-public", "secret": None, "redirect_uri": "http://127.0.0.1:8765/callback"}


def per_call(fn, count):
    start = time.perf_counter()
    for _ in range(count):
        fn()
    return (time.perf_counter() - start) / count


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def token_set(kit, provider):
    pending = kit.oauth.begin_authorization(
        provider, CLIENT, {"scopes": ["openid", "email", "mail"], "login_hint": ALICE}
    )
    callback = play_browser(pending["url"], CLIENT["redirect_uri"])
    return kit.oauth.complete_authorization(provider, CLIENT, pending, callback, int(time.time()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30, help="refreshes per side")
    rounds = parser.parse_args().rounds
    rows = []

    rss0 = rss_kib()
    t0 = time.perf_counter()
    kits = [Plugin(WASM, Policy(allow_origins=[AS], allow_loopback=True)) for _ in range(4)]
    load = (time.perf_counter() - t0) / len(kits)
    per_component = (rss_kib() - rss0) / len(kits)
    kit = kits[0]

    user, token = "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"

    def plain():
        return base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode()

    assert kit.sasl.xoauth2(user, token) == plain()
    per_call(lambda: kit.sasl.xoauth2(user, token), 20)  # warm-up
    kit_x = per_call(lambda: kit.sasl.xoauth2(user, token), 300)
    plain_x = per_call(plain, 100_000)
    rows.append(
        (
            "sasl.xoauth2 per call",
            f"{kit_x * 1e6:.0f} µs",
            f"{plain_x * 1e6:.2f} µs (base64)",
            f"{kit_x / plain_x:.0f}×",
        )
    )

    def instantiate():
        store = wasmtime.Store(kit.engine)
        store.set_wasi(wasmtime.WasiConfig())
        store.set_epoch_deadline(kit.deadline_ticks)
        kit.linker.instantiate(store, kit.component)

    inst = per_call(instantiate, 300)
    rows.append(
        (
            "instantiate + call + drop",
            f"{kit_x * 1e6:.0f} µs",
            f"instantiate alone {inst * 1e6:.0f} µs",
            f"{inst / kit_x:.0%} of the call",
        )
    )

    provider = kit.oauth.discover(AS)
    mine, theirs = token_set(kit, provider), token_set(kit, provider)
    session = OAuth2Session(client_id="mail-public", token_endpoint_auth_method="none")
    session.trust_env = False  # no proxy from the environment, as the kit
    theirs_rt = theirs["refresh_token"]
    kit_t, lib_t = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        mine = kit.oauth.refresh(provider, CLIENT, mine, int(time.time()))
        kit_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        answer = session.refresh_token(provider["token_endpoint"], refresh_token=theirs_rt)
        lib_t.append(time.perf_counter() - start)
        theirs_rt = answer["refresh_token"]
    kit_r, lib_r = statistics.median(kit_t), statistics.median(lib_t)
    rows.append(
        (
            f"token refresh at the local AS (median of {rounds})",
            f"{kit_r * 1e3:.2f} ms",
            f"{lib_r * 1e3:.2f} ms (authlib)",
            f"{kit_r / lib_r:.2f}×",
        )
    )
    rows.append(("per loaded component", f"{per_component:.0f} KiB resident", f"load {load * 1e3:.0f} ms", "—"))

    print("| what | kit | baseline | ratio |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
