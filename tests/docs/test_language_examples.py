#!/usr/bin/env python3
"""Checks every ```pipe block of docs/language.md with `pipec check`.

Blocks are prefixed with the document's prelude (its first block) unless they
start with `-- standalone`; `-- check: skip` blocks are only shown. Each block
must check clean: exit code 0, no diagnostics.
Usage: test_language_examples.py PIPEC DOC
"""
import os
import re
import subprocess
import sys
import tempfile


def main() -> int:
    pipec, doc = sys.argv[1], sys.argv[2]
    blocks = re.findall(r"```pipe\n(.*?)```", open(doc, encoding="utf-8").read(), re.S)
    if not blocks:
        print("no pipe blocks found")
        return 1
    prelude = blocks[0]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, block in enumerate(blocks):
            if "-- check: skip" in block:
                continue
            text = block if (i == 0 or block.startswith("-- standalone")) else prelude + "\n" + block
            path = os.path.join(tmp, f"example_{i}.pipe")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            r = subprocess.run([pipec, "check", "--no-color", path], capture_output=True, text=True)
            if r.returncode != 0 or r.stdout.strip():
                failed += 1
                print(f"--- block {i} failed (exit {r.returncode}):\n{block}\n{r.stdout}{r.stderr}")
            else:
                passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
