"""The command lines' use of the one atomic writer: figures and JSON written whole or not at all, the output
checks that run before any work, and the line that says which outputs a stopped run replaced."""
import errno
import os

import pytest

from cae_scratch import atomic, plots
from cae_scratch.apps import options, outputs
from cae_scratch.apps.options import UsageError

PNG = b"\x89PNG\r\n\x1a\n"


def figure():
    plt = plots._figure.pyplot()
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0])
    return fig


def leftovers(folder):
    return [n for n in os.listdir(folder) if n.startswith(atomic.TMP_PREFIX)]


def test_save_figure_writes_a_whole_png_through_the_atomic_writer(tmp_path, monkeypatch):
    calls = []
    real = atomic.write
    monkeypatch.setattr(atomic, "write", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    path = plots.save_figure(figure(), str(tmp_path / "sub" / "f.png"))
    assert calls == [path] and open(path, "rb").read(8) == PNG and leftovers(tmp_path / "sub") == []


def test_a_failing_figure_write_keeps_the_earlier_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "f.png"
    plots.save_figure(figure(), str(path))
    earlier = path.read_bytes()
    fig = figure()

    def disk_full_midway(fh, **kwargs):
        fh.write(PNG)                                       # part of the file reached the disk
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(fig, "savefig", disk_full_midway)
    with pytest.raises(OSError, match="f.png.*No space left"):
        plots.save_figure(fig, str(path))
    assert path.read_bytes() == earlier and leftovers(tmp_path) == []
    assert not plots._figure.pyplot().fignum_exists(fig.number)        # closed even when the write failed


def test_a_figure_that_cannot_render_keeps_the_earlier_file(tmp_path):
    path = tmp_path / "f.nosuchformat"
    path.write_bytes(b"earlier")
    with pytest.raises(ValueError, match="nosuchformat"):
        plots.save_figure(figure(), str(path))
    assert path.read_bytes() == b"earlier" and leftovers(tmp_path) == []


def test_write_json_is_strict_and_never_truncates(tmp_path):
    path = tmp_path / "r.json"
    outputs.write_json(path, {"a": [1.5, 2]})
    assert path.read_text() == '{\n "a": [\n  1.5,\n  2\n ]\n}'
    with pytest.raises(ValueError, match="JSON compliant"):           # NaN is refused before the file is opened
        outputs.write_json(path, {"a": float("nan")})
    assert path.read_text().startswith('{\n "a": [') and leftovers(tmp_path) == []


def test_outputs_say_which_files_a_run_replaced(tmp_path):
    old, new, absent = (tmp_path / n for n in ("old.txt", "new.txt", "absent.txt"))
    old.write_text("x")
    new.write_text("x")
    record = outputs.Outputs([old, new, absent])
    assert record.report() == "nothing was written"
    atomic.write_text(new, "x")                                         # same bytes, but a new file
    assert record.written() == [str(new)]
    assert record.report().startswith(f"wrote {new}; the other 2 output(s) are as they were")


def test_is_write_error_tells_a_failed_output_from_other_os_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error")))
    with pytest.raises(OSError) as info:
        atomic.write_text(tmp_path / "x.txt", "x")
    assert outputs.is_write_error(info.value)
    assert not outputs.is_write_error(FileNotFoundError(errno.ENOENT, "No such file or directory"))
    assert not outputs.is_write_error(ValueError("cannot write"))


def test_a_folder_is_tried_not_trusted(tmp_path, monkeypatch):
    assert options.can_create_in(str(tmp_path)) and leftovers(tmp_path) == []
    assert not options.can_create_in("/proc")                           # os.access says yes here to root
    assert not options.can_create_in(str(tmp_path / "missing"))
    monkeypatch.setattr(os, "access", lambda *a, **k: True)             # as for root: the check must still refuse
    with pytest.raises(UsageError, match="not writable"):
        options.writable_dir("/proc")


@pytest.mark.parametrize("make, message", [
    (lambda p: os.mkfifo(p), "not a regular file"),
    (lambda p: os.symlink(os.path.join(os.path.dirname(p), "gone", "t"), p), "is a symlink to"),
    (lambda p: os.mkdir(p), "is a directory"),
])
def test_writable_file_refuses_what_atomic_write_would_refuse(tmp_path, make, message):
    path = str(tmp_path / "out.json")
    make(path)
    with pytest.raises(UsageError, match=message):
        options.writable_file(path, "--json")


def test_writable_file_takes_a_dangling_symlink_into_a_writable_folder(tmp_path):
    (tmp_path / "real").mkdir()
    link = tmp_path / "out.json"
    os.symlink(tmp_path / "real" / "t.json", link)
    assert options.writable_file(str(link), "--json") == str(link)
    atomic.write_text(link, "{}")                                       # what the check promised
    assert os.path.islink(link) and (tmp_path / "real" / "t.json").read_text() == "{}"
    with pytest.raises(UsageError, match="too long|longer than"):
        options.writable_file(str(tmp_path / ("a" * 300)), "--json")


def test_check_target_tries_a_file_rather_than_trusting_os_access(tmp_path, monkeypatch):
    """Root gets os.access == True in /proc; the check must create a file to know (the grader's --csv uses it)."""
    import os
    from cae_scratch import atomic
    monkeypatch.setattr(os, "access", lambda *a, **k: True)
    with pytest.raises(ValueError, match="no file can be created"):
        atomic.check_target("/proc/x.csv")
    atomic.check_target(tmp_path / "ok.csv")
    assert os.listdir(tmp_path) == []                      # the probe file is gone
