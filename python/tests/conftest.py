"""The harness: it finds the build, and starts every server a test needs."""
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("PS_BUILD", os.path.join(ROOT, "build"))
os.environ.setdefault("PATHSPACE_LIB", os.path.join(BUILD, "libpathspace.so"))
os.environ.setdefault("PATHSPACE_BIN", os.path.join(BUILD, "pathspace"))
DATA = os.environ.get("PS_DATA", os.path.join(ROOT, "..", "shared", "data"))
sys.path.insert(0, os.path.join(ROOT, "python"))


def in_files(server, path):
    """A copy of path in the server's files directory, which it may read."""
    dst = os.path.join(server.files, os.path.basename(path))
    shutil.copyfile(path, dst)
    return dst


def data(name):
    """A real data file, or the test is skipped saying why."""
    p = os.path.join(DATA, name)
    if not os.path.exists(p):
        pytest.skip(f"needs {p}, which is not here (real data sits beside a checkout in ../shared)")
    return p


class Server:
    def __init__(self, directory, *args):
        self.dir = directory
        # the one directory its file:// imports and exports may use
        self.files = directory + ".files"
        os.makedirs(self.files, exist_ok=True)
        pf, hf = directory + ".port", directory + ".http"
        for f in (pf, hf):
            if os.path.exists(f):
                os.unlink(f)
        self.proc = subprocess.Popen(
            [os.environ["PATHSPACE_BIN"], "serve", directory, "--port", "0", "--port-file", pf,
             "--http", "0", "--http-port-file", hf, "--http-files", self.files, "--quiet",
             *args],
            stderr=subprocess.PIPE)
        for _ in range(1000):
            if os.path.exists(hf) or self.proc.poll() is not None:
                break
            time.sleep(0.01)
        assert os.path.exists(hf), self.proc.stderr.read().decode()
        self.port = int(open(pf).read())
        self.url = f"http://127.0.0.1:{int(open(hf).read())}"

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=120)


@pytest.fixture
def server(tmp_path):
    s = Server(str(tmp_path / "space"))
    yield s
    rc = s.stop()
    assert rc in (0, -signal.SIGKILL), f"the server exited {rc}"


@pytest.fixture
def start_server(tmp_path):
    started = []

    def start(*args, directory=None):
        s = Server(directory or str(tmp_path / "space"), *args)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop(signal.SIGKILL)
