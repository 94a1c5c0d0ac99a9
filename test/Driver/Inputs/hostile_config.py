#!/usr/bin/python3
"""Write hostile model configs for limits.test into DIR.

  hostile_config.py DIR

Every file is the tiny LM of examples/tiny_rat_lm with one thing wrong:
  deep.json        a value nested 100,000 levels deep
  deep_object.json the same with objects
  dup.json         "d_model" twice (32, then 64)
  dup_nested.json  a duplicate key inside __metadata__-like nesting
  dup_escaped.json "d_model" and "d\u005fmodel" (the same key once decoded)
  utf8.json        a string with an invalid UTF-8 byte
  layers_1e5.json, layers_1e9.json, layers_float.json  num_layers 1e5, 1e9,
                   and 1e9 written as a float literal
  vocab_2_62.json  vocab_size 2^62
  head_huge.json   num_head 2^62 (the product num_head * d_head would
                   overflow int64)
  eps_inf.json     rms_eps 1e999 (parses as infinity)
  weights_total.json  every key at its limit: the weights exceed 4 TiB
  state_total.json d_model 65536 full attention: at --max-seq-len 2^24 one
                   sequence's decode state exceeds 4 TiB
  at_limits.json   vocab_size 2^24 with a tiny width: within every limit
  long_context.json  a tiny full-attention LM for --max-seq-len 2^24
"""

import json
import os
import sys

out = sys.argv[1]
base = {
    "kind": "lm", "vocab_size": 256, "d_model": 64, "num_head": 4,
    "d_head": 16, "ngroups": 2, "chunk_size": 8, "window_size": 0,
    "num_layers": 2, "layer_pattern": ["rat"], "rms_eps": 1e-06,
    "rope_base": 10000,
}


def text(obj):
    return json.dumps(obj, indent=1) + "\n"


def write(name, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(out, name), mode) as f:
        f.write(data)


def edit(**changes):
    obj = dict(base)
    obj.update(changes)
    return text(obj)


depth = 100000
write("deep.json", '{"kind": "lm", "x": ' + "[" * depth + "]" * depth + "}")
write("deep_object.json",
      '{"kind": "lm", "x": ' + '{"a": ' * depth + "1" + "}" * depth + "}")
write("dup.json", text(base).replace('"d_model": 64,',
                                     '"d_model": 32,\n "d_model": 64,'))
write("dup_nested.json", text(base)[:-2] + ',\n "name": "x",\n'
      ' "description": {"a": 1, "a": 2}\n}\n')
write("dup_escaped.json", text(base).replace('"d_model": 64,',
                                             '"d_model": 64,\n "d\\u005fmodel": 32,'))
write("utf8.json", text(base).replace('"rat"', '"r\\u0000"')
      .encode().replace(b"\\u0000", b"\xff"))
write("layers_1e5.json", edit(num_layers=100000))
write("layers_1e9.json", edit(num_layers=1000000000))
write("layers_float.json", text(base).replace('"num_layers": 2',
                                              '"num_layers": 1e9'))
write("vocab_2_62.json", edit(vocab_size=2**62))
write("head_huge.json", edit(num_head=2**62, d_head=4))
write("eps_inf.json", text(base).replace('"rms_eps": 1e-06',
                                         '"rms_eps": 1e999'))
write("weights_total.json", edit(vocab_size=2**24, d_model=65536,
                                 num_head=1024, d_head=64, ngroups=1,
                                 num_layers=256))
write("at_limits.json", edit(vocab_size=2**24, d_model=2, num_head=1,
                             d_head=2, ngroups=1, num_layers=1,
                             layer_pattern=["attention"]))
write("state_total.json", edit(d_model=65536, num_head=1024, d_head=64,
                               ngroups=1, num_layers=1,
                               layer_pattern=["attention"]))
write("long_context.json", edit(vocab_size=16, d_model=2, num_head=1,
                                d_head=2, ngroups=1, num_layers=1,
                                layer_pattern=["attention"]))
