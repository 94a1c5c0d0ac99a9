#!/bin/sh
# End-to-end tests of the generic main of compiled models (lib/Runtime),
# driven through hand-written fake models: numbers, state carrying, and every
# error path a user can hit (missing/misshaped/malformed files, bad options).
#
# usage: run_fake_model.sh DIR    where DIR holds the rat-fake-* executables
# Needs python3 with numpy ($PYTHON, default python3).

set -u
DIR=$(cd "$1" && pwd)
PY=${PYTHON:-python3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); }
bad() {
  FAIL=$((FAIL + 1))
  echo "FAIL: $*"
}

# run_ok NAME CMD...: the command must exit 0.
run_ok() {
  name=$1
  shift
  if "$@" >out.txt 2>err.txt; then
    ok
  else
    bad "$name (exit $?)"
    cat err.txt
  fi
}

# run_err NAME PATTERN CMD...: the command must exit non-zero and print one
# line, `error: ...` containing PATTERN (a grep basic regex), on stderr.
run_err() {
  name=$1
  pattern=$2
  shift 2
  "$@" >out.txt 2>err.txt
  rc=$?
  if [ "$rc" -eq 0 ]; then
    bad "$name (succeeded, expected an error matching '$pattern')"
  elif [ "$(wc -l <err.txt)" -ne 1 ] || ! grep -q "^error: .*$pattern" err.txt; then
    bad "$name (exit $rc, expected one line 'error: ...$pattern...'):"
    cat err.txt
  else
    ok
  fi
}

PRELUDE='
import json, struct, sys
import numpy as np

def save_st(path, tensors, bf16=()):
    """Writes a safetensors file; names in bf16 are stored as BF16."""
    header, data = {}, b""
    for name, array in tensors.items():
        array = np.array(array, order="C")  # ascontiguousarray makes 0-d 1-d
        if name in bf16:
            raw = (array.astype(np.float32).view(np.uint32) >> 16).astype("<u2")
            dtype = "BF16"
        else:
            raw = array
            dtype = {"float32": "F32", "float64": "F64", "int32": "I32",
                     "int64": "I64", "float16": "F16"}[str(array.dtype)]
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [len(data), len(data) + raw.nbytes]}
        data += raw.tobytes()
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)

def expect(condition, message):
    if not condition:
        print(message, file=sys.stderr)
        sys.exit(1)

def same(path, expected, dtype=np.float32):
    actual = np.load(path)
    expect(actual.dtype == dtype, f"{path}: dtype {actual.dtype}, want {dtype}")
    expect(actual.shape == np.shape(expected),
           f"{path}: shape {actual.shape}, want {np.shape(expected)}")
    expect(np.array_equal(actual, expected), f"{path}:\n{actual}\nwant\n{expected}")
'

# py NAME CODE: runs CODE after PRELUDE; must exit 0.
py() {
  if "$PY" -c "$PRELUDE
$2"; then ok; else bad "$1"; fi
}

no_file() {
  if [ -e "$2" ] || [ -e "$2.tmp" ]; then bad "$1 (left $2 behind)"; else ok; fi
}

#===------------------------------------------------------------------------===#
# function model
#===------------------------------------------------------------------------===#

M="$DIR/rat-fake-model"
py "make function inputs" '
np.save("x.npy", np.arange(5, dtype=np.float32))
np.save("y.npy", np.ones(5, dtype=np.float32))
np.save("y4.npy", np.ones(4, dtype=np.float32))
np.save("x64.npy", np.arange(5, dtype=np.float64))
np.save("xi.npy", np.arange(5, dtype=np.int32))
np.save("xl.npy", np.array([7, -1, 2**31 - 1], dtype=np.int64))
np.save("xbig.npy", np.array([2**40], dtype=np.int64))
np.save("m.npy", np.arange(12, dtype=np.float32).reshape(3, 4))
np.save("h.npy", np.array([1.0, 3.0, -5.0], dtype=np.float32))
np.save("fortran.npy", np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
np.save("big_endian.npy", np.ones(5, dtype=">f4"))
np.save("x3.npy", np.zeros(3, dtype=np.float32))
open("garbage.npy", "wb").write(b"this is not numpy")
open("empty.npy", "wb").close()
data = open("x.npy", "rb").read()
open("truncated.npy", "wb").write(data[:-3])
save_st("w.safetensors", {"alpha": np.array(2.0, dtype=np.float32)})
save_st("w_bf16.safetensors", {"alpha": np.array(2.0, dtype=np.float32)}, bf16=["alpha"])
save_st("w_extra.safetensors", {"alpha": np.array(2.0, dtype=np.float32),
                                "beta": np.zeros(3, dtype=np.float32)})
save_st("w_missing.safetensors", {"beta": np.zeros(3, dtype=np.float32)})
save_st("w_shape.safetensors", {"alpha": np.zeros(2, dtype=np.float32)})
save_st("w_int.safetensors", {"alpha": np.array(2, dtype=np.int32)})
full = open("w.safetensors", "rb").read()
open("w_truncated.safetensors", "wb").write(full[:-2])
'

run_ok "axpy" "$M" --weights w.safetensors --entry axpy --arg x.npy --arg y.npy --result z.npy
py "axpy numbers" 'same("z.npy", 2 * np.arange(5, dtype=np.float32) + 1)'
run_ok "default entry, bf16 checkpoint, f64 input" \
  "$M" --weights=w_bf16.safetensors --arg x64.npy --arg y.npy --result z2.npy
py "axpy from bf16 weights" 'same("z2.npy", 2 * np.arange(5, dtype=np.float32) + 1)'
run_ok "scale with index and rank-0 result" \
  "$M" --entry scale --arg m.npy --index 3 --result out.npy --result total.npy
py "scale numbers" '
m = np.arange(12, dtype=np.float32).reshape(3, 4)
same("out.npy", 3 * m)
same("total.npy", np.float32(m.sum()))'
run_ok "halve (f32 file -> bf16 input, bf16 result -> f32 file)" \
  "$M" --entry halve --arg h.npy --result half.npy
py "halve numbers" 'same("half.npy", np.array([0.5, 1.5, -2.5], dtype=np.float32))'
run_ok "identity aliases its argument" "$M" --entry identity --arg xi.npy --result id.npy
py "identity numbers" 'same("id.npy", np.arange(5, dtype=np.int32), np.int32)'
run_ok "int64 file into an i32 input" "$M" --entry identity --arg xl.npy --result idl.npy
py "int64 converted" 'same("idl.npy", np.array([7, -1, 2**31 - 1], dtype=np.int32), np.int32)'
run_ok "no --result files" "$M" --entry scale --arg m.npy --index 1
run_ok "allow extra weights" \
  "$M" --weights w_extra.safetensors --allow-extra-weights --arg x.npy --arg y.npy --result z3.npy
run_ok "help" "$M" --help
grep -q "^usage: rat-fake-model" out.txt && ok || bad "help text"
run_ok "print manifest" "$M" --print-manifest
grep -q "^entry wrong_shape" out.txt && ok || bad "printed manifest"
run_ok "verbose" "$M" -v --weights w.safetensors --arg x.npy --arg y.npy --result z4.npy
grep -q "^\[rat\] load weights" err.txt && grep -q "param purpose = runtime-test" err.txt &&
  ok || bad "verbose phases: $(cat err.txt)"
run_ok "bench" "$M" --weights w.safetensors --arg x.npy --arg y.npy --bench 3 --warmup 1
grep -q "^bench: axpy .*median" out.txt && ok || bad "bench output: $(cat out.txt)"

run_err "missing input file" "cannot open 'nope.npy'" \
  "$M" --weights w.safetensors --arg nope.npy --arg y.npy --result r.npy
run_err "inputs disagree on N" "input 'y' (y4.npy) has shape \[4\], expected \[N\] (N = 5 from input 'x' (x.npy))" \
  "$M" --weights w.safetensors --arg x.npy --arg y4.npy --result r.npy
no_file "no output after a failure" r.npy
run_err "garbage npy" "garbage.npy: not an .npy file (bad magic)" \
  "$M" --weights w.safetensors --arg garbage.npy --arg y.npy
run_err "empty npy" "empty.npy: empty file" \
  "$M" --weights w.safetensors --arg empty.npy --arg y.npy
run_err "truncated npy" "truncated.npy: truncated" \
  "$M" --weights w.safetensors --arg truncated.npy --arg y.npy
run_err "fortran npy" "fortran.npy: fortran_order" \
  "$M" --entry scale --arg fortran.npy --index 1
run_err "big-endian npy" "big_endian.npy: big-endian" \
  "$M" --weights w.safetensors --arg big_endian.npy --arg y.npy
run_err "int file for a float input" "xi.npy: dtype i32 does not match the model's x (f32)" \
  "$M" --weights w.safetensors --arg xi.npy --arg y.npy
run_err "int64 out of i32 range" "xbig.npy: value 1099511627776 .* does not fit in i32" \
  "$M" --entry identity --arg xbig.npy
run_err "no --weights" "this model needs --weights" "$M" --arg x.npy --arg y.npy
run_err "missing weight" "w_missing.safetensors: missing tensor 'alpha'" \
  "$M" --weights w_missing.safetensors --arg x.npy --arg y.npy
run_err "extra weight" "w_extra.safetensors: tensor 'beta' is not used by the model" \
  "$M" --weights w_extra.safetensors --arg x.npy --arg y.npy
run_err "misshaped weight" "w_shape.safetensors: tensor 'alpha' has shape \[2\], expected \[\]" \
  "$M" --weights w_shape.safetensors --arg x.npy --arg y.npy
run_err "integer weight for a float model" "tensor 'alpha' is I32 but the model needs f32" \
  "$M" --weights w_int.safetensors --arg x.npy --arg y.npy
run_err "truncated checkpoint" "w_truncated.safetensors: tensor 'alpha': data_offsets" \
  "$M" --weights w_truncated.safetensors --arg x.npy --arg y.npy
run_err "missing checkpoint" "cannot open 'nope.safetensors'" \
  "$M" --weights nope.safetensors --arg x.npy --arg y.npy
run_err "too few --arg" "entry 'axpy' takes 2 --arg file(s) (x, y), got 1" \
  "$M" --weights w.safetensors --arg x.npy
run_err "missing --index" "entry 'scale' takes 1 --index value(s) (k), got 0" \
  "$M" --entry scale --arg m.npy
run_err "too many --result" "returns 2 result(s), got 1 --result" \
  "$M" --entry scale --arg m.npy --index 1 --result a.npy
run_err "unknown entry" "no entry 'nope' (entries: axpy, scale, halve, identity, wrong_shape)" \
  "$M" --entry nope
run_err "result shape check" "entry 'wrong_shape': result output 'y' has shape \[4\], expected \[N\] (N = 3 from input 'x' (x3.npy))" \
  "$M" --entry wrong_shape --arg x3.npy --result ws.npy
no_file "no output after a bad result" ws.npy
run_err "unwritable output" "--result '/nonexistent-dir/z.npy': directory '/nonexistent-dir' does not exist" \
  "$M" --weights w.safetensors --arg x.npy --arg y.npy --result /nonexistent-dir/z.npy
run_err "unknown option" "unknown option '--bogus'" "$M" --bogus
run_err "option of another kind" "option --tokens does not apply to a function model" \
  "$M" --tokens t.npy
run_err "bad number" "--bench expects an integer >= 1, got '0'" "$M" --bench 0
run_err "missing value" "option --arg needs a value" "$M" --arg
run_err "positional argument" "unexpected argument 'x.npy'" "$M" x.npy
run_err "CUDA manifest without RatCudaRuntime" "linked without RatCudaRuntime" \
  "$DIR/rat-fake-model-cuda-target-cpu-link" --weights w.safetensors --arg x.npy --arg y.npy

#===------------------------------------------------------------------------===#
# lm model
#===------------------------------------------------------------------------===#

L="$DIR/rat-fake-lm"
py "make lm inputs" '
tokens = np.array([[1, 2, 3, 4, 5], [7, 0, 6, 5, 4]], dtype=np.int32)
np.save("t.npy", tokens)
np.save("t64.npy", tokens.astype(np.int64))
np.save("tf.npy", tokens.astype(np.float32))
np.save("t1.npy", tokens[0])
bad = tokens.copy(); bad[0, 2] = 8; np.save("t_oov.npy", bad)
neg = tokens.copy(); neg[1, 0] = -1; np.save("t_neg.npy", neg)
late = tokens.copy(); late[0, 4] = 99; np.save("t_late.npy", late)
save_st("lm.safetensors", {"scale": np.arange(1, 9, dtype=np.float32)}, bf16=["scale"])
'
run_ok "lm prefill logits" "$L" --weights lm.safetensors --tokens t.npy --logits l.npy
py "lm logits" '
tokens = np.load("t.npy")
expected = np.zeros((2, 5, 8), dtype=np.float32)
for b in range(2):
    for t in range(5):
        n = (tokens[b, t] + 1) % 8
        expected[b, t, n] = n + 1
same("l.npy", expected)'
run_ok "lm generation" \
  "$L" --weights lm.safetensors --tokens t.npy --prompt-len 3 --generate 4 --output g.npy --logits lp.npy
py "lm generated tokens" '
same("g.npy", np.array([[1, 2, 3, 4, 5, 6, 7], [7, 0, 6, 7, 0, 1, 2]], dtype=np.int32), np.int32)
expect(np.load("lp.npy").shape == (2, 3, 8), "prompt logits shape")'
run_ok "lm generate 1" \
  "$L" --weights lm.safetensors --tokens t64.npy --generate 1 --output g1.npy
py "lm generate 1" '
same("g1.npy", np.array([[1, 2, 3, 4, 5, 6], [7, 0, 6, 5, 4, 5]], dtype=np.int32), np.int32)'
run_ok "lm up to max_seq_len" \
  "$L" --weights lm.safetensors --tokens t.npy --generate 27 --output g27.npy
py "lm long generation" '
g = np.load("g27.npy")
expect(g.shape == (2, 32), g.shape)
expect(all(g[0, 5 + k] == (5 + 1 + k) % 8 for k in range(27)), g)'
run_ok "lm ignores tokens past the prompt" \
  "$L" --weights lm.safetensors --tokens t_late.npy --prompt-len 4 --logits ll.npy
# Ragged prompts: row b is its first L[b] tokens, generates from its own
# position (the fake checks its count), -1 after its tokens.
py "make ragged inputs" '
np.save("lens.npy", np.array([2, 5], dtype=np.int32))
np.save("lens64.npy", np.array([2, 5], dtype=np.int64))
np.save("lens_bad.npy", np.array([2, 6], dtype=np.int32))
np.save("lens3.npy", np.array([2, 5, 1], dtype=np.int32))'
run_ok "lm ragged prompts" "$L" --weights lm.safetensors --tokens t.npy --prompt-lens lens.npy \
  --generate 3 --output gr.npy --output-lens gr_lens.npy --logits lr.npy
py "lm ragged tokens" '
same("gr.npy", np.array([[1, 2, 3, 4, 5, -1, -1, -1], [7, 0, 6, 5, 4, 5, 6, 7]], dtype=np.int32), np.int32)
same("gr_lens.npy", np.array([3, 3], dtype=np.int32), np.int32)
l = np.load("lr.npy")
expect(l.shape == (2, 5, 8) and not l[0, 2:].any() and l[0, 1, 3] == 4, "ragged logits: zero past a prompt")'
run_ok "lm ragged prompts, int64 lengths, in slices" "$L" --weights lm.safetensors --tokens t.npy \
  --prompt-lens lens64.npy --generate 3 --output gr2.npy --prefill-rows 1
py "lm ragged slices" 'same("gr2.npy", np.load("gr.npy"), np.int32)'
# Stop tokens: sequence 0 stops at 4, sequence 1 at 6; every sequence has
# stopped after 2 steps, so the batch ends there.
run_ok "lm eos" "$L" -v --weights lm.safetensors --tokens t.npy --prompt-lens lens.npy \
  --generate 5 --eos 4 --eos 6 --output ge.npy --output-lens ge_lens.npy
py "lm eos tokens" '
same("ge.npy", np.array([[1, 2, 3, 4, -1, -1, -1, -1, -1, -1], [7, 0, 6, 5, 4, 5, 6, -1, -1, -1]], dtype=np.int32), np.int32)
same("ge_lens.npy", np.array([2, 2], dtype=np.int32), np.int32)'
grep -q "2 steps, .*every sequence stopped" err.txt && ok || bad "lm eos: early end: $(cat err.txt)"
run_ok "lm eos, one sequence" "$L" --weights lm.safetensors --tokens t.npy --prompt-len 3 \
  --generate 4 --eos 5 --output ge1.npy --output-lens ge1_lens.npy
py "lm eos, one sequence" '
same("ge1.npy", np.array([[1, 2, 3, 4, 5, -1, -1], [7, 0, 6, 7, 0, 1, 2]], dtype=np.int32), np.int32)
same("ge1_lens.npy", np.array([2, 4], dtype=np.int32), np.int32)'
# The fake "samples" argmax + seed + top_k (mod 8) at T > 0: sequence b
# gets seed S + b.
run_ok "lm sampling parameters" "$L" --weights lm.safetensors --tokens t.npy --prompt-len 3 \
  --generate 3 --temperature 0.5 --top-k 3 --top-p 0.9 --seed 2 --output gs.npy
py "lm sampling parameters reach the model" '
want = np.zeros((2, 6), dtype=np.int32)
t = np.load("t.npy")
for b in range(2):
    want[b, :3] = t[b, :3]
    x = t[b, 2]
    for k in range(3):
        x = ((x + 1) % 8 + 2 + b + 3) % 8
        want[b, 3 + k] = x
same("gs.npy", want, np.int32)'
run_ok "lm temperature 0 is greedy" "$L" --weights lm.safetensors --tokens t.npy --prompt-len 3 \
  --generate 4 --temperature 0 --seed 5 --output gt0.npy
py "lm temperature 0" 'same("gt0.npy", np.load("g.npy"), np.int32)'
py "make one prompt" 'np.save("t_one.npy", np.load("t.npy")[1:])'
run_ok "lm stream" "$L" --weights lm.safetensors --tokens t_one.npy --generate 3 --stream
[ "$(tr '\n' ' ' <out.txt)" = "5 6 7 " ] && ok || bad "lm stream output: $(cat out.txt)"
run_err "lm stream of a batch" "--stream prints the tokens of one sequence: --tokens has 2 rows" \
  "$L" --weights lm.safetensors --tokens t.npy --generate 3 --stream
run_err "lm prompt length past T" "sequence 1 has length 6, expected 1 <= L <= 5" \
  "$L" --weights lm.safetensors --tokens t.npy --prompt-lens lens_bad.npy --generate 2 --output never.npy
run_err "lm prompt lengths of another batch" "lens3.npy: expected prompt lengths \[2\]" \
  "$L" --weights lm.safetensors --tokens t.npy --prompt-lens lens3.npy --generate 2 --output never.npy
run_err "lm prompt-len and prompt-lens" "--prompt-len and --prompt-lens exclude each other" \
  "$L" --weights lm.safetensors --tokens t.npy --prompt-len 2 --prompt-lens lens.npy --generate 2 --output never.npy
run_err "lm negative temperature" "--temperature must be >= 0" \
  "$L" --weights lm.safetensors --tokens t.npy --generate 2 --temperature -1 --output never.npy
run_err "lm top-k 0" "--top-k expects an integer >= 1, got '0'" \
  "$L" --weights lm.safetensors --tokens t.npy --generate 2 --top-k 0 --output never.npy
run_err "lm top-p 0" "--top-p must be in (0, 1\], got '0'" \
  "$L" --weights lm.safetensors --tokens t.npy --generate 2 --top-p 0 --output never.npy
run_err "lm top-p above 1" "--top-p must be in (0, 1\], got '1.5'" \
  "$L" --weights lm.safetensors --tokens t.npy --generate 2 --top-p 1.5 --output never.npy
run_err "lm eos out of range" "end-of-sequence id 8 is out of range for vocab_size 8" \
  "$L" --weights lm.safetensors --tokens t.npy --generate 2 --eos 8 --output never.npy
run_err "lm eos without generate" "--eos needs --generate N" \
  "$L" --weights lm.safetensors --tokens t.npy --eos 3 --logits never.npy
no_file "no files after generation errors" never.npy
run_ok "lm bench" "$L" --weights lm.safetensors --tokens t.npy --prompt-len 3 --generate 4 --output gb.npy --bench 2
grep -q "^bench: prefill" out.txt && grep -q "^bench: decode .*ms/step" out.txt && ok ||
  bad "lm bench output: $(cat out.txt)"

run_err "lm token out of range" "t_oov.npy: token 8 at \[0, 2\] is out of range for vocab_size 8" \
  "$L" --weights lm.safetensors --tokens t_oov.npy --logits never.npy
no_file "no logits after a bad token" never.npy
run_err "lm negative token" "t_neg.npy: token -1 at \[1, 0\] is out of range" \
  "$L" --weights lm.safetensors --tokens t_neg.npy --generate 2 --output never.npy
run_err "lm prompt-len 0" "--prompt-len expects an integer >= 1, got '0'" \
  "$L" --weights lm.safetensors --tokens t.npy --prompt-len 0 --logits never.npy
run_err "lm prompt-len > T" "--prompt-len 6 exceeds the 5 tokens in t.npy" \
  "$L" --weights lm.safetensors --tokens t.npy --prompt-len 6 --logits never.npy
run_err "lm beyond max_seq_len" "--prompt-len 5 + --generate 28 exceeds the model's max_seq_len 32" \
  "$L" --weights lm.safetensors --tokens t.npy --generate 28 --output never.npy
run_err "lm generate without output" "--generate needs --output" \
  "$L" --weights lm.safetensors --tokens t.npy --generate 2
run_err "lm output without generate" "--output needs --generate" \
  "$L" --weights lm.safetensors --tokens t.npy --output never.npy
run_err "lm nothing to do" "nothing to do" "$L" --weights lm.safetensors --tokens t.npy
run_err "lm float tokens" "tf.npy: dtype f32 does not match the model's tokens (i32)" \
  "$L" --weights lm.safetensors --tokens tf.npy --logits never.npy
run_err "lm rank-1 tokens" "t1.npy: expected token ids \[B, T\]" \
  "$L" --weights lm.safetensors --tokens t1.npy --logits never.npy
run_err "lm missing tokens" "missing --tokens" "$L" --weights lm.safetensors --logits never.npy
run_err "lm rat_layer option" "option --input does not apply to a lm model" \
  "$L" --input never.npy
run_err "lm wrong checkpoint" "w.safetensors: missing tensor 'scale'" \
  "$L" --weights w.safetensors --tokens t.npy --logits never.npy
no_file "no files after lm errors" never.npy

#===------------------------------------------------------------------------===#
# rat_layer model
#===------------------------------------------------------------------------===#

Y="$DIR/rat-fake-layer"
py "make layer inputs" '
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 6, 4)).astype(np.float32)
np.save("lx.npy", x)
np.save("lx5.npy", np.zeros((2, 6, 5), dtype=np.float32))
w = np.array([1, 2, 0.5, -1], dtype=np.float32)
save_st("layer.safetensors", {"w": w})
y = np.zeros_like(x)
for b in range(2):
    s = np.zeros(4, dtype=np.float32)
    for t in range(6):
        s = s + x[b, t]
        y[b, t] = w * s
np.save("ly_expected.npy", y)
'
run_ok "layer prefill" "$Y" --weights layer.safetensors --input lx.npy --output ly.npy
py "layer prefill numbers" 'same("ly.npy", np.load("ly_expected.npy"))'
run_ok "layer decode" "$Y" -v --weights layer.safetensors --input lx.npy --output lyd.npy --decode
grep -q "^\[rat\] decode .*6 steps" err.txt && ok || bad "layer decode phases: $(cat err.txt)"
py "layer decode equals prefill" 'same("lyd.npy", np.load("ly.npy"))'
run_ok "layer bench" "$Y" --weights layer.safetensors --input lx.npy --output lyb.npy --decode --bench 2
grep -q "^bench: decode" out.txt && ok || bad "layer bench output: $(cat out.txt)"
run_err "layer wrong width" "input 'x' (lx5.npy) has shape \[2, 6, 5\], expected \[B, T, 4\]" \
  "$Y" --weights layer.safetensors --input lx5.npy --output never.npy
run_err "layer missing output" "missing --output" \
  "$Y" --weights layer.safetensors --input lx.npy
run_err "layer lm option" "option --generate does not apply to a rat_layer model" \
  "$Y" --generate 3

#===------------------------------------------------------------------------===#
# CUDA fakes on the simulated driver (fake_libcuda.c, first in
# LD_LIBRARY_PATH), on any machine: one stream synchronised once per entry
# call, the caching allocator, decode steps captured into graphs and replayed
# with the position rewritten, fallbacks and error messages.
#===------------------------------------------------------------------------===#

FD="$DIR/fake-driver"
fake() { env LD_LIBRARY_PATH="$FD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }
# report FILE KEY: a counter of the fake driver's report.
report() { sed -n "s/^$2 //p" "$1" | tail -1; }
C="$DIR/rat-fake-cuda-model"
LG="$DIR/rat-fake-lm-graph"
YG="$DIR/rat-fake-layer-graph"
if [ -f "$FD/libcuda.so.1" ]; then
  py "make fake-driver inputs" '
x = np.load("lx.npy")
np.save("lx1.npy", x[:, :1])'
  rm -f r_axpy.txt
  run_ok "fake driver: axpy" fake env FAKE_CUDA_REPORT=r_axpy.txt \
    "$C" --arg x.npy --arg y.npy --result zf.npy
  py "fake driver: axpy numbers" 'same("zf.npy", 2 * np.arange(5, dtype=np.float32) + 1)'
  # Every block went back to the driver at the end, none before.
  [ "$(report r_axpy.txt liveAllocations)" = 0 ] &&
    [ "$(report r_axpy.txt memFree)" = "$(report r_axpy.txt memAlloc)" ] && ok ||
    bad "fake driver: axpy memory: $(cat r_axpy.txt)"
  run_ok "fake driver: axpy bench" fake "$C" -v --arg x.npy --arg y.npy --bench 5
  grep -q "^bench: axpy .*median" out.txt && grep -q "one CUDA stream" err.txt &&
    grep -q "^\[rat\] device memory: peak" err.txt && ok ||
    bad "fake driver: axpy bench: $(cat out.txt err.txt)"
  run_err "fake driver: a kernel fault names the kernel" \
    "cuStreamSynchronize failed: an illegal memory access was encountered (CUDA_ERROR_ILLEGAL_ADDRESS) (after launching kernel 'axpy')" \
    fake env FAKE_CUDA_FAULT_KERNEL=axpy "$C" --arg x.npy --arg y.npy --result never.npy
  no_file "fake driver: no output after a fault" never.npy

  # Fakes that compute on the host: their decode steps copy to the host and
  # synchronise, so they run eagerly, and say why.
  run_ok "fake driver: host-computing lm" fake "$DIR/rat-fake-lm-cuda" -v --weights lm.safetensors \
    --tokens t.npy --prompt-len 3 --generate 4 --output gf.npy --logits lpf.npy
  py "fake driver: host-computing lm equals cpu" '
same("gf.npy", np.load("g.npy"), np.int32)
same("lpf.npy", np.load("lp.npy"))'
  grep -q "decode graphs: not used, eager steps: the step does a copy between host and device memory (mgpuMemcpy), which a graph cannot replay" err.txt &&
    ok || bad "fake driver: host-computing lm fallback: $(cat err.txt)"
  run_ok "fake driver: host-computing layer" fake "$DIR/rat-fake-layer-cuda" --weights layer.safetensors \
    --input lx.npy --output lydf.npy --decode --bench 2
  py "fake driver: host-computing layer equals cpu" 'same("lydf.npy", np.load("ly.npy"))'
  grep -q "^bench: decode .*ms/step.* (eager steps)$" out.txt && ok ||
    bad "fake driver: host-computing layer bench: $(cat out.txt)"

  # Decode steps on the device: captured and replayed.
  rm -f r_lm.txt r_lm_eager.txt
  run_ok "fake driver: lm graphs" fake env FAKE_CUDA_REPORT=r_lm.txt "$LG" -v \
    --weights lm.safetensors --tokens t.npy --prompt-len 3 --generate 4 --output gg.npy
  py "fake driver: lm graphs equal cpu" 'same("gg.npy", np.load("g.npy"), np.int32)'
  grep -q "decode graphs: captured entry 'decode' (2 kernels, 2 allocations); no position parameter: every replay is the same" err.txt &&
    ok || bad "fake driver: lm graphs -v: $(cat err.txt)"
  # Positions live in device memory: steps 1 eager, 2 captured once then
  # replayed, 3 and 4 replayed, no kernel parameter rewritten.
  [ "$(report r_lm.txt graphLaunches)" = 3 ] && [ "$(report r_lm.txt captures)" = 1 ] &&
    [ "$(report r_lm.txt paramUpdates)" = 0 ] && [ "$(report r_lm.txt liveAllocations)" = 0 ] &&
    ok || bad "fake driver: lm graphs counters: $(cat r_lm.txt)"
  # Each sequence at its own position, read by the replayed kernels.
  run_ok "fake driver: lm graphs, ragged prompts" fake "$LG" --weights lm.safetensors \
    --tokens t.npy --prompt-lens lens.npy --generate 3 --output grg.npy
  py "fake driver: lm graphs ragged equal cpu" 'same("grg.npy", np.load("gr.npy"), np.int32)'
  run_ok "fake driver: lm long generation" fake "$LG" --weights lm.safetensors \
    --tokens t.npy --generate 27 --output gg27.npy
  py "fake driver: lm long generation equals cpu" 'same("gg27.npy", np.load("g27.npy"), np.int32)'
  run_ok "fake driver: lm --no-graphs" fake env FAKE_CUDA_REPORT=r_lm_eager.txt "$LG" -v --no-graphs \
    --weights lm.safetensors --tokens t.npy --prompt-len 3 --generate 4 --output ge.npy
  py "fake driver: lm eager equals cpu" 'same("ge.npy", np.load("g.npy"), np.int32)'
  grep -q "decode graphs: off (--no-graphs or RAT_NO_GRAPHS)" err.txt &&
    [ "$(report r_lm_eager.txt graphLaunches)" = 0 ] && ok ||
    bad "fake driver: lm --no-graphs: $(cat err.txt r_lm_eager.txt)"
  run_ok "fake driver: lm bench" fake "$LG" --weights lm.safetensors --tokens t.npy \
    --prompt-len 2 --generate 6 --output gb2.npy --bench 3 --warmup 1
  grep -q "^bench: prefill .*tokens/s$" out.txt &&
    grep -q "^bench: decode   median .* ms/step over 18 steps, .* tokens/s (CUDA graph replays)$" out.txt &&
    ok || bad "fake driver: lm bench: $(cat out.txt)"
  # The prompt in slices of one sequence: next tokens and states gathered
  # into full-batch buffers (the fake decode checks every row's state); the
  # timed runs after the first gather straight into the graph's buffers.
  rm -f r_lm_sl.txt
  run_ok "fake driver: lm prefill in slices" fake env FAKE_CUDA_REPORT=r_lm_sl.txt "$LG" -v \
    --weights lm.safetensors --tokens t.npy --prompt-len 3 --generate 4 --output gs.npy \
    --prefill-rows 1 --bench 2 --warmup 1
  py "fake driver: lm slices equal cpu" 'same("gs.npy", np.load("g.npy"), np.int32)'
  grep -q "prefill in slices of 1 sequence(s)" err.txt &&
    grep -q "decode state: .* for 2 sequence(s)" err.txt &&
    grep -q "^bench: decode .* (CUDA graph replays)$" out.txt &&
    [ "$(report r_lm_sl.txt liveAllocations)" = 0 ] && ok ||
    bad "fake driver: lm prefill in slices: $(cat out.txt err.txt r_lm_sl.txt)"
  run_ok "fake driver: lm bench, eager" fake env RAT_NO_GRAPHS=1 "$LG" --weights lm.safetensors \
    --tokens t.npy --generate 3 --output gb3.npy --bench 2
  grep -q "^bench: decode .* (eager steps)$" out.txt && ok || bad "fake driver: lm eager bench: $(cat out.txt)"
  run_ok "fake driver: lm one decode step" fake "$LG" --weights lm.safetensors \
    --tokens t.npy --generate 2 --output g2f.npy --bench 2
  py "fake driver: lm one decode step equals cpu" '
same("g2f.npy", np.array([[1, 2, 3, 4, 5, 6, 7], [7, 0, 6, 5, 4, 5, 6]], dtype=np.int32), np.int32)'
  grep -q "^bench: decode .* (CUDA graph replays)$" out.txt && ok || bad "fake driver: lm one step bench: $(cat out.txt)"
  run_ok "fake driver: lm without cuFuncGetParamInfo" fake env FAKE_CUDA_NO_PARAM_INFO=1 "$LG" -v \
    --weights lm.safetensors --tokens t.npy --prompt-len 3 --generate 4 --output gn.npy
  py "fake driver: lm fallback equals cpu" 'same("gn.npy", np.load("g.npy"), np.int32)'
  grep -q "decode graphs: not used, eager steps: capture failed: cuFuncGetParamInfo failed" err.txt &&
    ok || bad "fake driver: lm fallback -v: $(cat err.txt)"
  run_err "fake driver: a fault in a replay names the graph" \
    "(after launching the CUDA graph of entry 'decode')" \
    fake env FAKE_CUDA_FAULT_KERNEL=lm_step FAKE_CUDA_FAULT_AFTER=3 "$LG" --weights lm.safetensors \
    --tokens t.npy --generate 8 --output never.npy
  no_file "fake driver: no output after a replay fault" never.npy

  run_ok "fake driver: layer graphs" fake "$YG" -v --weights layer.safetensors \
    --input lx.npy --output lyg.npy --decode --bench 3
  py "fake driver: layer graphs equal prefill" 'same("lyg.npy", np.load("ly.npy"))'
  grep -q "decode graphs: captured entry 'decode' (2 kernels, 1 allocations); 2 position parameter(s) in 2 kernel(s) are rewritten before each replay, for positions 0..5" err.txt &&
    grep -q "^bench: decode   median .* ms/step over 18 steps, .* (CUDA graph replays)$" out.txt &&
    ok || bad "fake driver: layer graphs: $(cat out.txt err.txt)"
  run_ok "fake driver: layer prefill" fake "$YG" --weights layer.safetensors \
    --input lx.npy --output lypg.npy
  py "fake driver: layer prefill numbers" 'same("lypg.npy", np.load("ly.npy"))'
  rm -f r_layer_eager.txt
  run_ok "fake driver: layer --no-graphs" fake env FAKE_CUDA_REPORT=r_layer_eager.txt \
    "$YG" --no-graphs --weights layer.safetensors --input lx.npy --output lye.npy --decode
  py "fake driver: layer eager equals prefill" 'same("lye.npy", np.load("ly.npy"))'
  # 6 steps of 2 kernels each: one synchronisation per step (the compiled
  # code's per-launch ones are no-ops), one for the download, two at the end.
  [ "$(report r_layer_eager.txt kernels)" = 12 ] && [ "$(report r_layer_eager.txt syncs)" = 9 ] &&
    ok || bad "fake driver: layer eager syncs: $(cat r_layer_eager.txt)"
  run_ok "fake driver: layer --no-graphs bench" fake "$YG" --no-graphs --weights layer.safetensors \
    --input lx.npy --output lye2.npy --decode --bench 2
  grep -q "^bench: decode .* (eager steps)$" out.txt && ok || bad "fake driver: layer eager bench: $(cat out.txt)"
  run_ok "fake driver: layer one step" fake "$YG" -v --weights layer.safetensors \
    --input lx1.npy --output ly1.npy --decode --bench 2
  py "fake driver: layer one step" 'same("ly1.npy", np.load("ly.npy")[:, :1])'
  grep -q "decode graphs: captured entry 'decode' (2 kernels, 1 allocations); 0 position parameter(s) in 0 kernel(s) are rewritten before each replay, for positions 0..0" err.txt &&
    grep -q "(CUDA graph replays)$" out.txt && ok || bad "fake driver: layer one step: $(cat out.txt err.txt)"
else
  bad "no simulated driver at $FD/libcuda.so.1"
fi

#===------------------------------------------------------------------------===#
# CUDA models: a clean one-line error without a driver or device; with a GPU,
# the same numbers as the CPU fakes.
#===------------------------------------------------------------------------===#

if "$C" --arg x.npy --arg y.npy --result zc.npy >out.txt 2>err.txt; then
  echo "note: a GPU is available, running the CUDA fakes"
  py "cuda axpy numbers" 'same("zc.npy", 2 * np.arange(5, dtype=np.float32) + 1)'
  run_ok "cuda bench" "$C" -v --arg x.npy --arg y.npy --bench 5
  grep -q "^bench: axpy" out.txt && ok || bad "cuda bench output"
  run_ok "cuda lm generation" "$DIR/rat-fake-lm-cuda" --weights lm.safetensors \
    --tokens t.npy --prompt-len 3 --generate 4 --output gc.npy --logits lpc.npy
  py "cuda lm equals cpu" '
same("gc.npy", np.load("g.npy"), np.int32)
same("lpc.npy", np.load("lp.npy"))'
  run_ok "cuda lm bench" "$DIR/rat-fake-lm-cuda" --weights lm.safetensors \
    --tokens t.npy --generate 8 --output gcb.npy --bench 3
  grep -q "^bench: decode .*ms/step" out.txt && ok || bad "cuda lm bench: $(cat out.txt)"
  run_err "cuda lm token out of range" "token 8 at \[0, 2\]" \
    "$DIR/rat-fake-lm-cuda" --weights lm.safetensors --tokens t_oov.npy --logits never.npy
  run_ok "cuda layer prefill" "$DIR/rat-fake-layer-cuda" --weights layer.safetensors \
    --input lx.npy --output lyc.npy
  run_ok "cuda layer decode" "$DIR/rat-fake-layer-cuda" --weights layer.safetensors \
    --input lx.npy --output lydc.npy --decode
  py "cuda layer equals cpu" '
same("lyc.npy", np.load("ly.npy"))
same("lydc.npy", np.load("ly.npy"))'
  # Decode steps in PTX kernels: captured into CUDA graphs and replayed.
  run_ok "cuda lm graphs" "$LG" -v --weights lm.safetensors --tokens t.npy \
    --prompt-len 3 --generate 4 --output ggc.npy
  py "cuda lm graphs equal cpu" 'same("ggc.npy", np.load("g.npy"), np.int32)'
  grep -q "decode graphs: captured entry 'decode'" err.txt && ok || bad "cuda lm graphs -v: $(cat err.txt)"
  run_ok "cuda lm graphs, long" "$LG" --weights lm.safetensors --tokens t.npy \
    --generate 27 --output gg27c.npy --bench 2
  py "cuda lm graphs long equal cpu" 'same("gg27c.npy", np.load("g27.npy"), np.int32)'
  grep -q "^bench: decode .* (CUDA graph replays)$" out.txt && ok || bad "cuda lm graphs bench: $(cat out.txt)"
  run_ok "cuda layer graphs" "$YG" -v --weights layer.safetensors --input lx.npy \
    --output lygc.npy --decode --bench 2
  py "cuda layer graphs equal prefill" 'same("lygc.npy", np.load("ly.npy"))'
  grep -q "decode graphs: captured entry 'decode'" err.txt && ok || bad "cuda layer graphs -v: $(cat err.txt)"
  run_ok "cuda layer --no-graphs" "$YG" --no-graphs --weights layer.safetensors --input lx.npy \
    --output lyec.npy --decode
  py "cuda layer eager equals prefill" 'same("lyec.npy", np.load("ly.npy"))'
else
  for model in "$C --arg x.npy --arg y.npy --result zc.npy" \
    "$DIR/rat-fake-lm-cuda --weights lm.safetensors --tokens t.npy --logits lpc.npy" \
    "$DIR/rat-fake-layer-cuda --weights layer.safetensors --input lx.npy --output lyc.npy"; do
    # shellcheck disable=SC2086
    run_err "CUDA model without a GPU: $model" "no CUDA \(driver\|device\)" $model
  done
  no_file "no cuda outputs without a GPU" zc.npy
  no_file "no cuda outputs without a GPU" lpc.npy
  no_file "no cuda outputs without a GPU" lyc.npy
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
