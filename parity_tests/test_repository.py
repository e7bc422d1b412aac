"""The repository stands on its own: every module of ``scratch`` imports by itself in a fresh
interpreter (no import cycle hidden by the order ``scratch/__init__.py`` happens to use), and every
document the code and docs cite is in the repository, where a user who clones it can open it."""
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def scratch_modules():
    names = []
    for folder, _, files in os.walk(os.path.join(REPO_ROOT, "scratch")):
        for file in files:
            if file.endswith(".py"):
                path = os.path.relpath(os.path.join(folder, file), REPO_ROOT)[:-3]
                names.append(path.replace(os.sep, ".").removesuffix(".__init__"))
    return sorted(names)


def import_alone(module):
    completed = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                               text=True, cwd=REPO_ROOT, timeout=120)
    return module, completed.returncode, completed.stderr[-2000:]


def test_every_scratch_module_imports_on_its_own():
    modules = scratch_modules()
    assert {"scratch.model", "scratch.callbacks.early_stopping", "scratch.engine.cpu"} <= set(modules)
    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [(m, err) for m, code, err in pool.map(import_alone, modules) if code != 0]
    assert not failures, "modules that fail to import in a fresh interpreter:\n" + "\n".join(
        f"{m}:\n{err}" for m, err in failures)


def tracked_text_files():
    listed = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=REPO_ROOT)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the tracked files are unknown")
    for path in listed.stdout.split():
        if path.endswith((".py", ".md", ".toml", ".txt", ".cfg")) or path in ("Makefile", ".ci/run"):
            with open(os.path.join(REPO_ROOT, path), encoding="utf-8") as stream:
                yield path, stream.read()


MARKDOWN_FILE = re.compile(r"[A-Za-z0-9_./-]*[A-Za-z0-9_]\.md\b")
SECTION_CITATION = re.compile(r"\b([A-Z][A-Z0-9_]{2,})(?:\.md)?,? §")


def find_document(name, citing_file):
    """True when the cited ``name`` is a file of the repository (from its root, beside the citing
    file, or anywhere by its base name when cited bare)."""
    candidates = [os.path.join(REPO_ROOT, name),
                  os.path.join(REPO_ROOT, os.path.dirname(citing_file), name)]
    if os.path.exists(candidates[0]) or os.path.exists(candidates[1]):
        return True
    if "/" not in name:
        return any(name in files for _, _, files in os.walk(REPO_ROOT) if ".git" not in _)
    return False


def test_every_cited_document_is_in_the_repository():
    missing = []
    for path, text in tracked_text_files():
        if path == "parity_tests/test_repository.py":   # its own examples of bad citations
            continue
        for name in set(MARKDOWN_FILE.findall(text)):
            if not find_document(name, path):
                missing.append(f"{path}: {name}")
        for name in set(SECTION_CITATION.findall(text)):
            if not find_document(name + ".md", path):
                missing.append(f"{path}: {name} §")
    assert not missing, "citations of documents that are not in the repository:\n" + "\n".join(missing)


def test_the_citation_check_can_fail(tmp_path):
    assert SECTION_CITATION.findall("as Keras does (SOMEWHERE_ELSE §3.3)") == ["SOMEWHERE_ELSE"]
    assert MARKDOWN_FILE.findall("see docs/NOTES.md and README.md.") == ["docs/NOTES.md", "README.md"]
    assert not find_document("NOT_A_FILE_HERE.md", "scratch/model.py")
    assert find_document("ENGINE_NOTES.md", "scratch/engine/cpu.py")
