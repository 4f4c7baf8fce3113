"""The kernels' on-disk cache follows every module a kernel can reach (sim/jit.py)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sim import jit

ROOT = Path(__file__).resolve().parent.parent

HELPER = """from sim.jit import helper


@helper
def step(x):
    return x + {amount}
"""
KERNEL = """from sim.jit import kernel
from sim.model.rule import step


@kernel
def apply(x):
    return step(x)


print(apply(1.0))
"""


def _package(tmp: Path, amount: float) -> Path:
    """A package ``sim`` with wlsim's jit.py, a helper module and a kernel module using it."""
    package = tmp / "sim"
    (package / "model").mkdir(parents=True, exist_ok=True)
    for name in ("jit.py", "errors.py"):
        shutil.copy(ROOT / "sim" / name, package / name)
    (package / "__init__.py").write_text("")
    (package / "model" / "__init__.py").write_text("")
    (package / "model" / "rule.py").write_text(HELPER.format(amount=amount))
    (package / "model" / "uses_rule.py").write_text(KERNEL)
    return package


def _run(tmp: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "NUMBA_DISABLE_JIT")}
    env["PYTHONPATH"] = str(tmp)
    done = subprocess.run(
        [sys.executable, "-c", "import sim.model.uses_rule"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_cached_kernel_follows_a_changed_helper_in_another_module(tmp_path: Path) -> None:
    """numba keys a cached kernel on its own file; wlsim's cache also on its helpers'."""
    package = _package(tmp_path, 1.0)
    assert _run(tmp_path) == "2.0"
    cached = list((package / "__pycache__" / "kernels").rglob("*.nbi"))
    assert cached, "the kernel was cached beside the package"
    assert _run(tmp_path) == "2.0"  # loaded from the cache
    (package / "model" / "rule.py").write_text(HELPER.format(amount=100.0))
    assert _run(tmp_path) == "101.0"  # not the cached kernel with the old helper


def test_the_fingerprint_covers_jit_and_the_model_only(tmp_path: Path) -> None:
    package = _package(tmp_path, 1.0)
    (package / "app").mkdir()
    (package / "app" / "cli.py").write_text("x = 1\n")
    first = jit.source_fingerprint(package)
    (package / "app" / "cli.py").write_text("x = 2\n")
    assert jit.source_fingerprint(package) == first  # no kernel reaches it
    (package / "model" / "rule.py").write_text(HELPER.format(amount=2.0))
    assert jit.source_fingerprint(package) != first
    folder = jit.cache_dir()
    assert folder is not None and folder.name == jit.source_fingerprint()


def test_every_module_with_kernels_is_in_the_fingerprint() -> None:
    """A kernel outside sim/model/ would be cached without its helpers' changes showing."""
    package = ROOT / "sim"
    with_kernels = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if "from sim.jit import" in path.read_text(encoding="utf-8")
    ]
    assert with_kernels and all(name.startswith("model/") for name in with_kernels)


def test_only_a_weeks_unused_fingerprint_folders_are_removed(tmp_path: Path) -> None:
    """Old kernels' folders go; the one in use, recent ones and anything else stay."""
    week = jit.STALE_AFTER_S
    folders = {
        "keep": tmp_path / ("a" * 16),
        "old": tmp_path / ("b" * 16),
        "recent": tmp_path / ("c" * 16),
        "not ours": tmp_path / "not-a-fingerprint",
    }
    now = 10 * week
    for name, folder in folders.items():
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "k.nbi").write_text("x")
        age = now - (0.5 * week if name == "recent" else 2 * week)
        for path in (folder, folder / "sub", folder / "sub" / "k.nbi"):
            os.utime(path, (age, age))
    jit.remove_stale(tmp_path, keep=folders["keep"], now=now)
    assert {name for name, folder in folders.items() if folder.exists()} == {
        "keep",
        "recent",
        "not ours",
    }


def test_the_fingerprint_skips_editors_files_and_vanished_ones(tmp_path: Path) -> None:
    package = _package(tmp_path, 1.0)
    first = jit.source_fingerprint(package)
    (package / "model" / ".#rule.py").symlink_to("user@host.1234")  # an editor's lock
    assert jit.source_fingerprint(package) == first


def test_without_a_home_or_a_writable_package_the_cache_goes_to_the_temporary_folder(
    tmp_path: Path, monkeypatch
) -> None:
    package = _package(tmp_path / "installed", 1.0)
    (package / "__pycache__").write_text("")  # a file: no folder can be made there
    temporary = tmp_path / "tmp"
    temporary.mkdir()

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(jit, "PACKAGE", package)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    monkeypatch.setattr("tempfile.tempdir", str(temporary))
    for name in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    folder = jit.cache_dir.__wrapped__()
    assert folder is not None and folder.parent.parent == temporary
    assert folder.name == jit.source_fingerprint(package)
    os.utime(folder, (0, 0))
    assert jit.cache_dir.__wrapped__() == folder and folder.stat().st_mtime > 0  # in use
