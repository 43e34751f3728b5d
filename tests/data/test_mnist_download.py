"""Downloads against a misbehaving HTTP server on 127.0.0.1 (loopback only, a handful of requests per test).

Each mirror is a path prefix on one local server that misbehaves in its own
way: a bad status line, a dropped connection, a truncated body, wrong bytes,
a 404, a hang past the timeout, or the right file.
"""
import hashlib
import http.server
import os
import threading

import pytest

from cae_scratch.data import idx, mnist
from _helpers import fake_split


class Misbehaving(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        mode, _, name = self.path.strip("/").partition("/")
        self.server.requests.append(self.path)
        body = self.server.files.get(name, b"")
        if mode == "badstatus":
            self.wfile.write(b"garbage\r\n\r\n")
        elif mode == "disconnect":
            self.close_connection = True                   # nothing at all: RemoteDisconnected
        elif mode == "missing":
            self.send_error(404)
        elif mode == "hang":
            self.server.release.wait(5)                    # longer than the client's timeout
        else:
            sent = {"truncated": body[:len(body) // 2], "wrongmd5": body[::-1], "good": body}[mode]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(sent)
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A local server holding the fake test split; the mnist source points at its misbehaving mirrors."""
    source = tmp_path / "server"
    source.mkdir()
    fake_split(str(source), "test")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    httpd.files = {f: (source / f).read_bytes() for f in os.listdir(source)}
    httpd.requests, httpd.release = [], threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    md5 = {f: hashlib.md5(b).hexdigest() for f, b in httpd.files.items()}
    md5.update({f: "0" * 32 for f in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")})
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"

    def use(*modes):
        monkeypatch.setitem(mnist.SOURCES, "mnist", {"mirrors": tuple(base + m + "/" for m in modes), "md5": md5})
    monkeypatch.setattr(mnist, "TIMEOUT", 0.25)
    yield {"use": use, "httpd": httpd, "base": base}
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()


BAD = ("badstatus", "disconnect", "truncated", "wrongmd5", "missing", "hang")


def test_every_kind_of_failure_falls_through_to_the_next_mirror(tmp_path, server):
    server["use"](*BAD, "good")
    cache = tmp_path / "cache"
    paths = mnist.download("mnist", str(cache), splits=("test",))
    assert [os.path.basename(p) for p in paths] == [s + ".gz" for s in mnist.SPLITS["test"]]
    for p in paths:
        assert open(p, "rb").read() == server["httpd"].files[os.path.basename(p)]
    assert sorted(os.listdir(cache)) == sorted(os.path.basename(p) for p in paths)     # no .part
    assert len(server["httpd"].requests) == 2 * len(BAD + ("good",))


def test_when_every_mirror_fails_the_error_names_file_mirrors_reasons_and_cache(tmp_path, server):
    server["use"](*BAD)
    cache = tmp_path / "cache"
    with pytest.raises(ValueError) as err:
        mnist.download("mnist", str(cache), splits=("test",))
    message = str(err.value)
    name = "t10k-images-idx3-ubyte.gz"
    assert name in message and str(cache) in message
    for mode in BAD:
        assert server["base"] + mode + "/" + name in message
    for reason in ("BadStatusLine", "RemoteDisconnected", "IncompleteRead", "checksum", "404", "timed out"):
        assert reason in message
    assert os.listdir(cache) == []


def test_an_interrupted_download_leaves_no_part_file(tmp_path, server, monkeypatch):
    server["use"]("good")
    real_fetch = mnist.fetch_url

    def interrupted(url, dest, timeout=None):
        real_fetch(url, dest, timeout=timeout)
        assert os.path.getsize(dest) > 0                     # the .part file exists when Ctrl-C comes
        raise KeyboardInterrupt
    monkeypatch.setattr(mnist, "fetch_url", interrupted)
    cache = tmp_path / "cache"
    with pytest.raises(KeyboardInterrupt):
        mnist.download("mnist", str(cache), splits=("test",))
    assert os.listdir(cache) == []


def test_a_server_sending_too_much_is_cut_off(tmp_path, server, monkeypatch):
    server["use"]("good")
    monkeypatch.setattr(mnist, "MAX_DOWNLOAD_BYTES", 100)
    with pytest.raises(ValueError, match="more than 100 bytes"):
        mnist.download("mnist", str(tmp_path / "cache"), splits=("test",))
    assert os.listdir(tmp_path / "cache") == []


def test_a_cache_directory_that_is_a_file_is_explained(tmp_path, server):
    server["use"]("good")
    (tmp_path / "cache").write_text("not a directory")
    with pytest.raises(ValueError, match="cannot use .* as the mnist cache directory") as err:
        mnist.download("mnist", str(tmp_path / "cache"), splits=("test",))
    assert str(tmp_path / "cache") in str(err.value)
