#!/usr/bin/python3
"""Copy a JSON object with edits, for errors.test.

  edit_json.py IN OUT [KEY=JSON_VALUE | -KEY]...

KEY=VALUE sets KEY to the JSON value VALUE (e.g. d_head=8, 'kind="lm"',
'layer_pattern=["rat"]'); -KEY removes KEY.
"""

import json
import sys

src, dst, edits = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(src) as f:
    obj = json.load(f)
for edit in edits:
    if edit.startswith("-"):
        del obj[edit[1:]]
    else:
        key, value = edit.split("=", 1)
        obj[key] = json.loads(value)
with open(dst, "w") as f:
    json.dump(obj, f, indent=1)
    f.write("\n")
