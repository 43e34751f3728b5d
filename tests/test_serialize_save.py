"""save() on hostile paths: non-finite parameters, symlinks, modes, non-regular files, crashes, bad names."""
import os
import stat
import time

import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import atomic, serialize

pytestmark = pytest.mark.skipif(os.name != "posix", reason="umask, FIFOs, device nodes and symlinks are POSIX")


def write(path, seed=0):
    """Save a small model to ``path`` through serialize.save (the model's own path); returns its params."""
    model = cs.ContractiveAutoencoder(5, 3, seed=seed)
    serialize.save(path, model._header(), model.params)
    return model.params


def saved_W(path):
    return cs.ContractiveAutoencoder.load(path).params["W"]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_parameters_are_refused_at_save_naming_the_parameter(tmp_path, bad):
    path = tmp_path / "m.npz"
    good = write(path)
    model = cs.ContractiveAutoencoder(5, 3, seed=1)
    params = {k: np.array(v) for k, v in model.params.items()}
    params["b_r"][2] = bad
    with pytest.raises(ValueError, match=r"parameter 'b_r' contains NaN or inf") as err:
        serialize.save(path, model._header(), params)
    assert str(path) in str(err.value)
    np.testing.assert_array_equal(saved_W(path), good["W"])        # the old file is untouched
    assert os.listdir(tmp_path) == ["m.npz"]


def test_saving_through_a_symlink_updates_its_target_and_keeps_the_link(tmp_path):
    (tmp_path / "real").mkdir()
    real, link = tmp_path / "real" / "m.npz", tmp_path / "link.npz"
    write(real, seed=0)
    link.symlink_to(real)
    new = write(link, seed=5)
    assert link.is_symlink() and os.readlink(link) == str(real)
    np.testing.assert_array_equal(saved_W(real), new["W"])
    assert sorted(os.listdir(tmp_path)) == ["link.npz", "real"] and os.listdir(tmp_path / "real") == ["m.npz"]


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_mode_open_would_give_it(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        write(tmp_path / "m.npz")
        with open(tmp_path / "by_open", "w"):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == mode
    assert stat.S_IMODE(os.stat(tmp_path / "by_open").st_mode) == mode


def test_overwriting_keeps_the_existing_files_mode(tmp_path):
    path = tmp_path / "m.npz"
    write(path)
    os.chmod(path, 0o640)
    write(path, seed=3)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_a_fifo_a_directory_and_a_device_are_refused_and_left_alone(tmp_path):
    fifo = tmp_path / "fifo.npz"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        write(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    device = tmp_path / "null.npz"                 # a link to a device node: the device is the target
    device.symlink_to("/dev/null")
    with pytest.raises(ValueError, match="not a regular file"):
        write(device)
    assert device.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    folder = tmp_path / "folder.npz"
    folder.mkdir()
    with pytest.raises(ValueError, match="it is a directory") as err:
        write(folder)
    assert repr(str(folder)) in str(err.value) and ".tmp" not in str(err.value)
    assert folder.is_dir() and os.listdir(folder) == []
    assert sorted(os.listdir(tmp_path)) == ["fifo.npz", "folder.npz", "null.npz"]


@pytest.mark.parametrize("name", ["", "sub/"])
def test_an_empty_name_or_a_trailing_slash_is_explained_with_the_users_path(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="give a file name") as err:
        write(name)
    assert repr(name) in str(err.value) and ".tmp" not in str(err.value)
    assert os.listdir(tmp_path) == []


def test_a_directory_below_a_file_is_explained(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ValueError, match="(?i)not a directory"):
        write(tmp_path / "afile" / "m.npz")


def test_write_errors_name_the_users_path_not_the_temporary(tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise PermissionError(13, "Permission denied", src)
    monkeypatch.setattr(serialize.os, "replace", broken_replace)
    with pytest.raises(OSError, match="Permission denied") as err:
        write(tmp_path / "m.npz")
    assert repr(str(tmp_path / "m.npz")) in str(err.value) and ".tmp" not in str(err.value)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit, MemoryError])
def test_the_temporary_is_beside_the_target_and_removed_on_any_exception(tmp_path, monkeypatch, exc):
    path = tmp_path / "m.npz"
    good = write(path)
    seen = []

    def interrupted(fh, **arrays):
        seen.extend(set(os.listdir(tmp_path)) - {"m.npz"})     # the temporary being written
        fh.write(b"half a file")
        raise exc()
    monkeypatch.setattr(serialize.np, "savez", interrupted)
    with pytest.raises(exc):
        write(path, seed=2)
    assert len(seen) == 1 and atomic.TMP_NAME.match(seen[0])
    assert os.listdir(tmp_path) == ["m.npz"]
    monkeypatch.undo()
    np.testing.assert_array_equal(saved_W(path), good["W"])


def test_stale_temporaries_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    stale = tmp_path / ".tmp-cae-scratch-0123456789abcdef.npz"     # left by a SIGKILL long ago
    fresh = tmp_path / ".tmp-cae-scratch-fedcba9876543210.npz"     # a save running right now
    foreign = tmp_path / ".tmp-abcdefgh.npz"                        # not ours: never touched
    for f in (stale, fresh, foreign):
        f.write_bytes(b"partial")
    long_ago = time.time() - atomic.STALE_SECONDS - 60
    for f in (stale, foreign):
        os.utime(f, (long_ago, long_ago))
    write(tmp_path / "m.npz")
    assert sorted(os.listdir(tmp_path)) == sorted([fresh.name, foreign.name, "m.npz"])
