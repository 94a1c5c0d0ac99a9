#!/usr/bin/python3
"""Generation features of a compiled LM executable, run against itself.

  generation_check.py --exe EXE --model DIR --work DIR [--new-tokens N]

DIR is a make_model.py (or golden) folder: meta.json, weights.safetensors.
EXE is its LM compiled by rat-compile (cpu or cuda) with a decode entry and
a max_seq_len of at least 2 * chunk + 3 + N. Random prompts (seeded) of
lengths 1, L-1, L, L+1, 2L+2 and 2L+3 (L = chunk_size; shorter than, equal
to and longer than a chunk, lengths that differ by 1).

Checks (one line each, then `N passed, M failed`; exit 1 on a failure):
  ragged       the batch with --prompt-lens: row b is its prompt, then
               exactly the greedy tokens of the same prompt run alone, then
               -1; --output-lens all N; [B, max(L) + N] int32
  ragged slices  the same with --prefill-rows 2
  eos          --eos a token sequence 0 emits at step 2 and --eos one that
               sequence 1 emits at step 4: each sequence stops at its first
               eos id (from its run-alone tokens), -1 after, counts right
  greedy T=0   --temperature 0 (and --top-k 1 at T = 1) equal greedy
  sampling     --temperature 0.9 --top-p 0.95 --seed 5: the same twice;
               row b equals its prompt run alone with --seed 5+b; --seed 6
               gives other tokens
  stream       --stream (B = 1) prints the generated ids, one per line
  errors       invalid --temperature/--top-k/--top-p/--prompt-lens/--stream
               are clear errors
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np


class Exe:
    def __init__(self, exe, weights, work):
        self.exe, self.weights, self.work, self.n = exe, weights, work, 0
        os.makedirs(work, exist_ok=True)

    def path(self, stem):
        self.n += 1
        return os.path.join(self.work, f"{stem}{self.n}.npy")

    def run(self, tokens, *args, lens=None, expect_fail=False):
        t = self.path("tokens")
        np.save(t, np.asarray(tokens, dtype=np.int32))
        cmd = [self.exe, "--weights", self.weights, "--tokens", t]
        if lens is not None:
            lp = self.path("lens")
            np.save(lp, np.asarray(lens, dtype=np.int64))
            cmd += ["--prompt-lens", lp]
        out, counts = self.path("out"), self.path("counts")
        cmd += [str(x) for x in args]
        if "--output" not in cmd and "--stream" not in cmd:
            cmd += ["--output", out, "--output-lens", counts]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if expect_fail:
            return p
        if p.returncode != 0:
            raise RuntimeError(" ".join(cmd) + "\n" + p.stderr.strip())
        if "--stream" in cmd:
            return p
        return np.load(out), np.load(counts)


def expected_row(prompt, alone, new, width, eos=()):
    """Prompt, the run-alone tokens up to the first eos id, then -1."""
    row = np.full(width + new, -1, dtype=np.int32)
    row[:len(prompt)] = prompt
    count = 0
    for tok in alone:
        row[len(prompt) + count] = tok
        count += 1
        if tok in eos:
            break
    return row, count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--new-tokens", type=int, default=6)
    a = ap.parse_args()
    meta = json.load(open(os.path.join(a.model, "meta.json")))
    chunk = int(meta.get("chunk_size") or 8)
    vocab = int(meta["vocab_size"])
    new = a.new_tokens
    exe = Exe(a.exe, os.path.join(a.model, "weights.safetensors"), a.work)
    lengths = [1, chunk - 1, chunk, chunk + 1, 2 * chunk + 2, 2 * chunk + 3]
    lengths = [max(1, n) for n in lengths]
    batch, width = len(lengths), max(lengths)
    rng = np.random.default_rng(11)
    tokens = rng.integers(0, vocab, (batch, width + 2), dtype=np.int32)
    passed = failed = 0

    def report(name, ok, detail):
        nonlocal passed, failed
        print(f"{name}: {detail} {'OK' if ok else 'FAIL'}", flush=True)
        passed += ok
        failed += not ok

    def alone(b, *args):
        out, _ = exe.run(tokens[b:b + 1, :lengths[b]], "--generate", new,
                         *args)
        return out[0, lengths[b]:]

    greedy = [alone(b) for b in range(batch)]

    def check_batch(name, out, counts, eos=()):
        bad = []
        if out.shape != (batch, width + new) or out.dtype != np.int32:
            bad.append(f"shape {out.shape} {out.dtype}")
        for b in range(batch):
            want, count = expected_row(tokens[b, :lengths[b]], greedy[b], new,
                                       width, eos)
            if out.shape == (batch, width + new) and \
                    not np.array_equal(out[b], want):
                bad.append(f"row {b} (L={lengths[b]}): {out[b].tolist()} "
                           f"!= {want.tolist()}")
            if counts[b] != count:
                bad.append(f"row {b}: count {counts[b]} != {count}")
        report(name, not bad, "; ".join(bad) if bad else
               f"{batch} prompts of lengths {lengths} equal their runs "
               "alone")

    out, counts = exe.run(tokens, "--generate", new, lens=lengths)
    check_batch("ragged", out, counts)
    out, counts = exe.run(tokens, "--generate", new, "--prefill-rows", 2,
                          lens=lengths)
    check_batch("ragged slices", out, counts)

    eos = (int(greedy[0][2]), int(greedy[1][4]))
    out, counts = exe.run(tokens, "--generate", new, "--eos", eos[0],
                          "--eos", eos[1], lens=lengths)
    check_batch(f"eos {eos[0]},{eos[1]}", out, counts, eos)
    print(f"  counts: {counts.tolist()}")

    plain, _ = exe.run(tokens, "--generate", new, lens=lengths)
    t0, _ = exe.run(tokens, "--generate", new, "--temperature", 0,
                    "--seed", 9, lens=lengths)
    k1, _ = exe.run(tokens, "--generate", new, "--temperature", 1,
                    "--top-k", 1, lens=lengths)
    report("greedy T=0", np.array_equal(plain, t0) and
           np.array_equal(plain, k1),
           "--temperature 0 and --top-k 1 give the greedy tokens")

    sampling = ["--temperature", 0.9, "--top-p", 0.95]
    s5, c5 = exe.run(tokens, "--generate", new, *sampling, "--seed", 5,
                     lens=lengths)
    s5b, _ = exe.run(tokens, "--generate", new, *sampling, "--seed", 5,
                     lens=lengths)
    s6, _ = exe.run(tokens, "--generate", new, *sampling, "--seed", 6,
                    lens=lengths)
    rows_alone = all(
        np.array_equal(s5[b, lengths[b]:lengths[b] + new],
                       alone(b, *sampling, "--seed", 5 + b))
        for b in (0, 3, 5))
    differs = int((s5 != s6).sum())
    report("sampling",
           np.array_equal(s5, s5b) and rows_alone and differs > 0 and
           int((s5 != plain).sum()) > 0 and bool((c5 == new).all()),
           f"seed 5 twice equal, rows equal their runs alone with seed 5+b: "
           f"{rows_alone}, {differs} tokens differ with seed 6")

    p = exe.run(tokens[3:4, :lengths[3]], "--generate", new, "--stream")
    streamed = [int(line) for line in p.stdout.split()]
    report("stream", streamed == greedy[3].tolist(),
           f"printed {streamed}, generated {greedy[3].tolist()}")

    errors = [
        (("--generate", 2, "--temperature", -1), None,
         "--temperature must be >= 0"),
        (("--generate", 2, "--top-k", 0), None,
         "--top-k expects an integer >= 1"),
        (("--generate", 2, "--top-p", 0), None, "--top-p must be in (0, 1]"),
        (("--generate", 2, "--top-p", 1.5), None,
         "--top-p must be in (0, 1]"),
        (("--generate", 2), [1] * (batch - 1),
         "expected prompt lengths [%d]" % batch),
        (("--generate", 2), [0] + lengths[1:],
         "sequence 0 has length 0, expected 1 <= L <= %d" % (width + 2)),
        (("--generate", 2, "--stream"), None,
         "--stream prints the tokens of one sequence"),
        (("--generate", 2, "--eos", vocab), None,
         "end-of-sequence id %d is out of range" % vocab),
    ]
    bad = []
    for args, lens, message in errors:
        p = exe.run(tokens, *args, lens=lens, expect_fail=True)
        if p.returncode == 0 or message not in p.stderr:
            bad.append(f"{args}: rc {p.returncode}, {p.stderr.strip()!r}")
    report("errors", not bad,
           "; ".join(bad) if bad else f"{len(errors)} invalid uses rejected")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
