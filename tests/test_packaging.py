"""The project installs: a wheel built from the checkout holds every module, and imports from another directory."""
import glob
import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sources(package):
    """Paths (relative to the root) of the files a wheel must carry for ``package``."""
    out = []
    for folder, dirs, files in os.walk(os.path.join(ROOT, package)):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        out += [os.path.relpath(os.path.join(folder, f), ROOT).replace(os.sep, "/")
                for f in files if f.endswith((".py", ".css"))]
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), ROOT],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    (path,) = glob.glob(str(out / "*.whl"))
    return path


def test_the_wheel_holds_every_module_lesson_template_and_stylesheet(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [f for f in sources("cae_scratch") + sources("lessons") if f not in names]
    assert not missing, f"not in the wheel: {missing}"


def test_every_module_imports_from_the_wheel_in_another_directory(wheel, tmp_path):
    """From tmp_path, with only the wheel on the path for the project: the checkout is never used."""
    script = f"""
import importlib, pkgutil, sys
sys.path.insert(0, {wheel!r})
import cae_scratch, lessons
assert cae_scratch.__file__.startswith({wheel!r}), cae_scratch.__file__
names = [m.name for p in (cae_scratch, lessons) for m in pkgutil.walk_packages(p.__path__, p.__name__ + ".")]
for name in names:
    if name.split(".")[-1][:2].isdigit() or name.endswith("__main__"):
        continue                            # a lesson runs when imported; a __main__ is a command
    importlib.import_module(name)
print(len(names))
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.split()[-1]) > 60
