#!/usr/bin/env python3
"""Makes a seed folder for a fuzz target from project files.

    copy_seeds.py OUT_DIR FILE_OR_DIR...

Each file named (or in a folder named, not recursing) is copied into OUT_DIR
as <n>-<name>, so equal names from different folders do not collide. OUT_DIR
is emptied first, so seeds of files since removed do not linger."""
import pathlib
import shutil
import sys


def main() -> int:
    if len(sys.argv) < 3:
        print("usage: copy_seeds.py OUT_DIR FILE_OR_DIR...", file=sys.stderr)
        return 2
    out = pathlib.Path(sys.argv[1])
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    count = 0
    for arg in sys.argv[2:]:
        path = pathlib.Path(arg)
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        if not files or not path.exists():
            print(f"copy_seeds.py: {arg}: no files", file=sys.stderr)
            return 1
        for f in files:
            shutil.copyfile(f, out / f"{count}-{f.name}")
            count += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
