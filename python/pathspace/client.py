"""pathspace.Client: MORK's Python client (python/client.py of MORK's
server branch), method for method, over the standard library (urllib), for
`pathspace serve DIR --http PORT` or MORK's own server. A MORK script
changes only its import line:

    from pathspace import MORK, ManagedMORK     # was: from client import ...

Differences: no third-party package (requests) is needed; a bearer token
($PATHSPACE_TOKEN, or token=) is sent when given; Stop's wait_for_idle means
what it says and paths_import_ imports paths (MORK's client inverts the
first and calls sexpr_import for the second); a count waits for its
countResult; and a failed upload or download raises instead of printing.
"""
import atexit
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from urllib.parse import quote, quote_from_bytes


class Response:
    """What a request got: .status_code and .text, as requests' has."""

    def __init__(self, code, body, headers=None):
        self.status_code = code
        self.content = body
        self.text = body.decode("utf-8", "replace")
        self.headers = headers or {}

    def __bool__(self):
        return self.status_code < 400

    def __repr__(self):
        return f"<Response [{self.status_code}]>"


def _request(method, url, data=None, headers=None, token=None, timeout=600):
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    if isinstance(data, str):
        data = data.encode()
    req = urllib.request.Request(url, data=data, headers=h, method=method.upper())
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Response(r.status, r.read(), dict(r.headers))
    except urllib.error.HTTPError as e:
        return Response(e.code, e.read(), dict(e.headers or {}))


class MORK:
    """A connection to the server, or (work_at) a namespace within it."""

    class Request:
        status_loc = None

        def __init__(self, method, subdir, data=None, headers=None):
            self.method = method
            self.subdir = subdir
            self.body = data
            self.headers = headers
            self.response = None
            self.error = None
            self.server = None
            self.data = None

        def dispatch(self, server):
            self.server = server
            try:
                self.response = _request(self.method, server.base + self.subdir, self.body,
                                         self.headers, server.token)
            except OSError as e:
                self.error = e
                raise ConnectionError(f"{server.base}: {e}") from e
            return self

        def poll(self):
            """(finished, metadata): finished once the status of the
            expression written to is no longer temporary."""
            if self.server is None:
                raise RuntimeError("Must dispatch a request before it can be polled")
            r = _request("get", self.server.base + f"/status/{quote(self.status_loc)}",
                         token=self.server.token)
            if r.status_code != 200:
                return True, {"httpErr": r}
            info = json.loads(r.text)
            s = info["status"]
            if s in ("pathForbiddenTemporary",) + self._busy:
                return False, ""
            if s == "pathClear":
                return True, ""
            return True, info

        _busy = ()

        def block(self, delay=0.005, base=2, max_attempts=16):
            """Polls with delay*base^attempt back-off until done; the metadata."""
            done, meta = self.poll()
            attempt = 1
            while not done:
                time.sleep(delay * base ** attempt)
                done, meta = self.poll()
                attempt += 1
                if attempt > max_attempts:
                    raise StopIteration
            return meta

        def listen(self):
            """Waits until the status is final; its server-sent events (dicts),
            in order. Eager, so `request.listen()` alone waits, as MORK's demos
            use it (a generator there would return at once and let the next
            request race this one); stream() yields them as they come."""
            return list(self.stream())

        def stream(self):
            """The status as server-sent events (dicts) as they come, until it
            is final."""
            url = self.server.base + f"/status_stream/{quote(self.status_loc)}"
            h = {"Authorization": "Bearer " + self.server.token} if self.server.token else {}
            with urllib.request.urlopen(urllib.request.Request(url, headers=h)) as r:
                for line in r:
                    if line.startswith(b"data: "):
                        yield json.loads(line[6:])

        def _require_ok(self, what):
            if self.response is not None and self.response.status_code != 200:
                raise RuntimeError(f"{what}: HTTP {self.response.status_code}: "
                                   f"{self.response.text}")

        def __str__(self):
            return str({k: v for k, v in vars(self).items() if k != "server"})

    class Upload(Request):
        def __init__(self, pattern, template, data, format=None):
            self.pattern, self.template, self.data = pattern, template, data
            self.status_loc = template
            q = f"?format={format}" if format else ""
            super().__init__("post", f"/upload/{quote(pattern)}/{quote(template)}/{q}", data,
                             {"Content-Type": "text/plain"})
            self.data = data

        def dispatch(self, server):
            super().dispatch(server)
            self._require_ok("upload")
            return self

        def poll(self):
            return True, "upload already blocks"

    class Download(Request):
        def __init__(self, pattern, template, max_results=None, format=None, lossless=False):
            self.pattern, self.template = pattern, template
            args = [f"max_write={int(max_results)}"] if max_results else []
            args += [f"format={format}"] if format else []
            args += ["lossless=1"] if lossless else []
            q = ("?" + "&".join(args)) if args else ""
            super().__init__("get", f"/export/{quote(pattern)}/{quote(template)}/{q}")

        def dispatch(self, server):
            super().dispatch(server)
            self._require_ok("download")
            self.data = self.response.text
            return self

        def poll(self):
            return True, "download already blocks"

    class Clear(Request):
        def __init__(self, expr):
            self.expr = self.status_loc = expr
            super().__init__("get", f"/clear/{quote(expr)}/")

    class Count(Request):
        _busy = ("pathReadOnlyTemporary",)

        def __init__(self, expr):
            self.expr = self.status_loc = expr
            super().__init__("get", f"/count/{quote(expr)}/")

        def block(self, *a, **k):
            meta = super().block(*a, **k)
            self.data = meta.get("count") if isinstance(meta, dict) else 0
            return meta

    class Stop(Request):
        def __init__(self, wait_for_idle=False):
            self.wait_for_idle = wait_for_idle
            super().__init__("get", "/stop/?wait_for_idle" if wait_for_idle else "/stop/")

        def poll(self):
            return True, ""

    class Status(Request):
        def __init__(self, expr):
            self.expr = self.status_loc = expr
            super().__init__("get", f"/status/{quote(expr)}")

        def dispatch(self, server):
            super().dispatch(server)
            if self.response.status_code == 200:
                self.data = self.response.text
            return self

    class Import(Request):
        def __init__(self, pattern, template, file_uri, format=None):
            self.pattern, self.template, self.uri = pattern, template, file_uri
            self.status_loc = template
            q = f"&format={format}" if format else ""
            super().__init__("get", f"/import/{quote(pattern)}/{quote(template)}/"
                                    f"?uri={quote(file_uri, safe=':/')}{q}")

        def poll(self):
            done, result = super().poll()
            if done and result != "":
                if "httpErr" in result:
                    raise ConnectionError(result)
                raise RuntimeError(result)
            return done, result

    class Export(Request):
        def __init__(self, pattern, template, file_uri, format=None):
            self.pattern, self.template, self.uri = pattern, template, file_uri
            self.status_loc = template
            q = f"&format={format}" if format else ""
            super().__init__("get", f"/export/{quote(pattern)}/{quote(template)}/"
                                    f"?uri={quote(file_uri, safe=':/')}{q}")

        def dispatch(self, server):
            super().dispatch(server)
            self._require_ok("export")
            return self

        def poll(self):
            return True, "export already blocks"

    class Exec(Request):
        """metta_thread: runs the atoms (exec (LOCATION PRIORITY) ...) on the
        server; done once the status of (exec LOCATION) is no longer
        temporary (pathClear, or execError with the step that failed)."""

        def __init__(self, location=None):
            if location:
                self.status_loc = f"(exec {location})"
            super().__init__("get", "/metta_thread/" if location is None
                             else f"/metta_thread/?location={quote(location)}")

    class Suspend(Request):
        """metta_thread_suspend: the thread's pending exec atoms kept as
        (AT EXEC); the thread ends. Copy them back and exec() to resume."""

        def __init__(self, location, at):
            super().__init__("get", f"/metta_thread_suspend/{quote(location)}/{quote(at)}/")

        def poll(self):
            return True, ""

    class Transform(Request):
        def __init__(self, patterns, templates):
            self.patterns, self.templates = patterns, templates
            self.payload = "(transform (, {}) (, {}))".format(" ".join(patterns),
                                                              " ".join(templates))
            self.status_loc = templates[0]
            super().__init__("post", "/transform/", self.payload, {"Content-Type": "text/plain"})

    class Explore(Request):
        def __init__(self, pattern, token=""):
            self.pattern = pattern
            self.token = token
            super().__init__("get", f"/explore/{quote(pattern)}/{token}/")

        def dispatch(self, server):
            super().dispatch(server)
            if self.response.status_code == 200:
                self.data = json.loads(self.response.text)
            return self

        def values(self):
            return [d["expr"] for d in self.data]

        def descend(self, i):
            return type(self)(self.pattern, quote_from_bytes(bytes(self.data[i]["token"])))

        def _children(self):
            for d in self.data:
                if d["token"]:  # an empty token is an atom alone: nothing below it
                    yield type(self)(self.pattern, quote_from_bytes(bytes(d["token"])))

        def levels(self):
            frontier = [self]
            while True:
                for c in frontier:
                    c.dispatch(self.server)
                yield frontier
                frontier = [child for c in frontier for child in c._children()]
                if not frontier:
                    break

    def __init__(self, base_url=None, namespace="{}", finalization=(), parent=None,
                 history=None, token=None):
        if base_url is None:
            base_url = os.environ.get("MORK_URL") or os.environ.get("PATHSPACE_URL") \
                or "http://127.0.0.1:8000"
        self.base = base_url.strip().rstrip("/")
        self.ns = namespace
        self.finalization = finalization
        self.parent = parent
        self.history = [] if history is None else history
        self.token = token if token is not None else (parent.token if parent else
                                                      os.environ.get("PATHSPACE_TOKEN"))
        if parent is None:
            s = self.Status("-")
            try:
                s.dispatch(self)
            except ConnectionError:
                raise
            if s.response.status_code != 200:
                raise ConnectionError(f"Failed to connect to a MORK server at {self.base}: "
                                      f"HTTP {s.response.status_code}")

    def _run(self, cmd):
        self.history.append(cmd)
        cmd.dispatch(self)
        return cmd

    def transform(self, patterns, templates):
        return self._run(self.Transform(tuple(map(self.ns.format, patterns)),
                                        tuple(map(self.ns.format, templates))))

    def upload_(self, data):
        return self.upload("$x", "$x", data)

    def upload(self, pattern, template, data, format=None):
        return self._run(self.Upload(pattern, self.ns.format(template), data, format))

    def download_(self, max_results=None):
        return self.download("$x", "$x", max_results)

    def download(self, pattern, template, max_results=None, lossless=False):
        """MORK's text by default (symbols raw, as MORK's clients expect);
        lossless=True gives pathspace's form, which re-parses to the same
        atoms whatever bytes the symbols hold (docs/encoding.md)."""
        return self._run(self.Download(self.ns.format(pattern), template, max_results,
                                       lossless=lossless))

    def query(self, pattern, template=None, max_results=None, lossless=False):
        """The text of every instantiated template (a list of lines)."""
        d = self.download(pattern, template or pattern, max_results, lossless).data
        return [l for l in d.splitlines() if l]

    def sexpr_export_(self, file_uri):
        return self.sexpr_export("$x", "$x", file_uri)

    def sexpr_export(self, pattern, template, file_uri):
        return self._run(self.Export(self.ns.format(pattern), template, file_uri))

    def paths_export_(self, file_uri):
        return self.paths_export("$x", "$x", file_uri)

    def paths_export(self, pattern, template, file_uri):
        return self._run(self.Export(self.ns.format(pattern), template, file_uri, "paths"))

    def sexpr_import_(self, file_uri):
        return self.sexpr_import("$x", "$x", file_uri)

    def sexpr_import(self, pattern, template, file_uri):
        return self._run(self.Import(pattern, self.ns.format(template), file_uri, "metta"))

    def paths_import_(self, file_uri):
        return self.paths_import("$x", "$x", file_uri)

    def paths_import(self, pattern, template, file_uri):
        return self._run(self.Import(pattern, self.ns.format(template), file_uri, "paths"))

    def csv_import_(self, file_uri):
        return self.csv_import("$x", "$x", file_uri)

    def csv_import(self, pattern, template, file_uri):
        return self._run(self.Import(pattern, self.ns.format(template), file_uri, "csv"))

    def json_import_(self, file_uri):
        return self._run(self.Import("$x", self.ns.format("$x"), file_uri, "json"))

    def count(self):
        """Atoms in the scope (waits for the count)."""
        c = self._run(self.Count(self.ns.format("$x")))
        c.block()
        return c.data

    def status(self, expr="$x"):
        return json.loads(self._run(self.Status(self.ns.format(expr))).data)

    def clear(self):
        return self._run(self.Clear(self.ns.format("$x")))

    def explore_(self):
        return self._run(self.Explore(self.ns.format("$x")))

    def exec(self, thread_id="*"):
        """Runs MORK's exec rules (MM2) of thread thread_id (in this
        namespace): the atoms (exec (THREAD PRIORITY) PATTERNS TEMPLATES)."""
        return self._run(self.Exec(self.ns.format(thread_id)))

    def suspend(self, thread_id, at):
        """Freezes thread thread_id's pending exec atoms as (at EXEC)."""
        return self._run(self.Suspend(self.ns.format(thread_id), at))

    def work_at(self, name, finalization=(), **kwargs):
        """A client scoped to (name ...) within this one's namespace."""
        return MORK(namespace=self.ns.format(f"({name} {{}})"), finalization=finalization,
                    parent=self, history=self.history, base_url=self.base, token=self.token,
                    **kwargs)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if "clear" in self.finalization:
            self.clear().block()
        if "spin_down" in self.finalization:
            self.spin_down()
        if "stop" in self.finalization:
            self.stop()

    def spin_down(self):
        return self._run(self.Stop(wait_for_idle=True))

    def stop(self):
        return self._run(self.Stop(wait_for_idle=False))

    def _finally(self, what):
        """What the end of a `with` block does (MORK's and_* chain)."""
        self.finalization += (what,)
        return self

    def and_spin_down(self):
        return self._finally("spin_down")

    def and_stop(self):
        return self._finally("stop")

    def and_clear(self):
        return self._finally("clear")


Client = MORK


_managed = []  # servers this process started and has not cleaned up


@atexit.register
def _cleanup_managed():
    for m in list(_managed):
        m.cleanup(graceful=False)


class ManagedMORK(MORK):
    """A client that starts `pathspace serve` when no server answers (MORK's
    ManagedMORK starts mork_server). The binary: binary_path if it is a
    pathspace, else $PATHSPACE_BIN, else `pathspace` on PATH. The server
    listens where url says (its host and port), else on a free loopback
    port. The space's directory: $PATHSPACE_DIR, else a temporary one,
    removed with the server's logs by cleanup() (and_terminate(), or at
    the process's exit)."""

    @classmethod
    def connect(cls, binary_path=None, url=None, *args):
        try:
            return cls(base_url=url)
        except (ConnectionError, OSError):
            return cls.start(binary_path, *args, url=url)

    @classmethod
    def start(cls, binary_path=None, *args, url=None):
        exe = binary_path if binary_path and os.path.basename(binary_path).startswith(
            "pathspace") and os.path.isfile(binary_path) else None
        exe = exe or os.environ.get("PATHSPACE_BIN") or shutil.which("pathspace")
        if not exe:
            raise RuntimeError("no pathspace binary: set PATHSPACE_BIN or put it on PATH")
        where = "0"
        if url:
            u = urllib.parse.urlsplit(url if "//" in url else "http://" + url)
            where = f"{u.hostname or '127.0.0.1'}:{u.port or 80}"
        tmp = tempfile.mkdtemp(prefix="pathspace-")
        space = os.environ.get("PATHSPACE_DIR") or os.path.join(tmp, "space")
        port_file = os.path.join(tmp, "http.port")
        out = open(os.path.join(tmp, "stdout.log"), "w+b")
        err = open(os.path.join(tmp, "stderr.log"), "w+b")
        p = subprocess.Popen([exe, "serve", space, "--port", "0", "--http", where,
                              "--http-port-file", port_file, *map(str, args)],
                             stdout=out, stderr=err)
        for _ in range(500):
            if os.path.exists(port_file) or p.poll() is not None:
                break
            time.sleep(0.01)
        if not os.path.exists(port_file):
            p.kill()
            p.wait()
            err.seek(0)
            why = err.read().decode("utf8", "replace").strip()
            out.close()
            err.close()
            shutil.rmtree(tmp, ignore_errors=True)
            raise RuntimeError(f"the server did not start: {why}")
        with open(port_file) as f:
            port = int(f.read())
        host = where.rsplit(":", 1)[0] if where != "0" else "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        m = cls(out, err, p, base_url=f"http://{host}:{port}")
        m.tmp = tmp
        _managed.append(m)
        return m

    def __init__(self, stdout=None, stderr=None, process=None, **kwargs):
        super().__init__(**kwargs)
        self.stdout, self.stderr, self.process = stdout, stderr, process

    def and_log_stdout(self):
        return self._finally("log_stdout")

    def and_log_stderr(self):
        return self._finally("log_stderr")

    def and_terminate(self):
        return self._finally("terminate")

    def cleanup(self, graceful=True):
        """Stops the server this client started, and removes its temporary
        directory (its space, unless $PATHSPACE_DIR named one, and logs)."""
        if self.process is not None and self.process.poll() is None:
            try:
                if not graceful:
                    raise ConnectionError
                self.stop()
            except (ConnectionError, OSError):
                self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        for f in (self.stdout, self.stderr):
            if f is not None and not f.closed:
                f.close()
        if getattr(self, "tmp", None):
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        if self in _managed:
            _managed.remove(self)

    def __exit__(self, exc_type, exc_val, exc_tb):
        super().__exit__(exc_type, exc_val, exc_tb)
        for what, f in (("log_stdout", self.stdout), ("log_stderr", self.stderr)):
            if what in self.finalization and f is not None:
                if not f.closed:
                    f.seek(0)
                    print(what[4:] + ":", f.read().decode("utf8", "replace"))
        if "terminate" in self.finalization:
            self.cleanup()
