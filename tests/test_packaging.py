"""The wheel carries what `pip install .` needs outside the checkout, and `quiz check` runs from it.

`templates/` and `questions/` live at the top of the repository and are mapped into the package
at build time; the JSON Schema and the migrations live inside `quiz/`. The wheel is built once
for this module (about a second with hatchling installed) and unpacked into a temporary folder;
`quiz check` then runs from there in a folder with no `questions/`, so the sets it checks can
only come from the wheel.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QUIZ_CHECK = "from quiz.cli import main; main()"  # quiz has no __main__; this is the console script

SET = """\
format: 1
id: packaging-check
title: Checked from the wheel
questions:
  - id: envoys-met
    type: label
    statement: "Putin says there are points he can’t agree to in the U.S. proposal to end Ukraine war."
    answer: fact
    why: "Step 3: what Putin says is on the record."
  - id: surprise
    type: label
    statement: "Well, isn’t that just a surprise?"
    answer: opinion
    why: "Step 1: sarcasm."
"""


def repo_files(folder: str, pattern: str = "*") -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the working tree (without build isolation when hatchling is here)."""
    outdir = tmp_path_factory.mktemp("wheel")
    have_backend = importlib.util.find_spec("hatchling") is not None
    if importlib.util.find_spec("build") is not None:
        command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir)]
        command += ["--no-isolation"] if have_backend else []
    else:
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(outdir)]
        command += ["--no-build-isolation"] if have_backend else []
    done = subprocess.run([*command, str(ROOT)], cwd=outdir, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"building the wheel failed:\n{done.stdout}\n{done.stderr}"
    wheels = sorted(outdir.glob("quiz-*.whl"))
    assert len(wheels) == 1, f"expected one wheel, found {[w.name for w in wheels]}"
    return wheels[0]


@pytest.fixture(scope="module")
def names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.fixture(scope="module")
def unpacked(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(folder)
    return folder


def run_from_wheel(unpacked: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs Python on the unpacked wheel, the venv's site-packages serving only dependencies.

    `-S` skips site-packages' .pth files, so an editable install of the checkout cannot stand
    in for the wheel; the site-packages folders are named on PYTHONPATH after the wheel instead.
    """
    paths = sysconfig.get_paths()
    site_packages = list(dict.fromkeys([paths["purelib"], paths["platlib"]]))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(unpacked), *site_packages]))
    return subprocess.run([sys.executable, "-S", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)


def test_wheel_carries_the_templates(names: set[str]) -> None:
    assert any(name.startswith("quiz/templates/") for name in names)
    missing = [str(p.relative_to(ROOT)) for p in repo_files("templates")
               if f"quiz/templates/{p.relative_to(ROOT / 'templates').as_posix()}" not in names]
    assert not missing, f"templates missing from the wheel: {missing}"


def test_wheel_carries_every_seed_set(names: set[str]) -> None:
    seed_sets = sorted((ROOT / "questions").glob("*.yaml"))
    if not seed_sets:
        pytest.skip("questions/ holds no .yaml sets yet")
    missing = [p.name for p in seed_sets if f"quiz/questions/{p.name}" not in names]
    assert not missing, f"seed sets missing from the wheel: {missing}"


def test_wheel_carries_the_schema(wheel: Path, names: set[str]) -> None:
    assert "quiz/sets/format1.schema.json" in names
    with zipfile.ZipFile(wheel) as archive:
        schema = json.loads(archive.read("quiz/sets/format1.schema.json"))
    assert schema["properties"]["format"] == json.loads(
        (ROOT / "quiz/sets/format1.schema.json").read_text(encoding="utf-8"))["properties"]["format"]


def test_wheel_carries_the_migrations(names: set[str]) -> None:
    versions = repo_files("quiz/migrations/versions", "*.py")
    assert versions, "the checkout has no migrations"
    missing = [p.name for p in versions if f"quiz/migrations/versions/{p.name}" not in names]
    assert not missing, f"migrations missing from the wheel: {missing}"
    assert {"quiz/migrations/env.py", "quiz/migrations/script.py.mako"} <= names


def test_quiz_from_the_wheel_is_not_the_checkout(unpacked: Path, tmp_path: Path) -> None:
    done = run_from_wheel(unpacked, tmp_path, "-c", "import quiz; print(quiz.__file__)")
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).resolve().is_relative_to(unpacked.resolve())


def test_quiz_check_passes_the_shipped_sets_from_the_wheel(unpacked: Path, tmp_path: Path) -> None:
    seed_sets = sorted((ROOT / "questions").glob("*.yaml"))
    if not seed_sets:
        pytest.skip("questions/ holds no .yaml sets yet")
    assert not (tmp_path / "questions").exists()
    done = run_from_wheel(unpacked, tmp_path, "-c", QUIZ_CHECK, "check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"OK: {len(seed_sets)} set" in done.stdout, done.stdout
    shipped = unpacked / "quiz" / "questions"
    for seed in seed_sets:
        assert f"{shipped / seed.name}: " in done.stdout, f"{seed.name} was not checked:\n{done.stdout}"


def test_quiz_check_runs_from_the_wheel_on_a_given_file(unpacked: Path, tmp_path: Path) -> None:
    (tmp_path / "envoys.yaml").write_text(SET, encoding="utf-8")
    done = run_from_wheel(unpacked, tmp_path, "-c", QUIZ_CHECK, "check", "envoys.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: 1 set, 2 questions" in done.stdout, done.stdout
