"""The preview's HTTP server: loopback only, one secret token, a fixed set of routes."""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from mlscaffold.errors import MlscaffoldError, ParamsError
from mlscaffold.preview.session import PreviewSession

__all__ = ["LOOPBACK", "PreviewServer"]

LOOPBACK = "127.0.0.1"
_MAX_BODY = 1 << 20  # a form's values are a few hundred bytes
# The only files the server hands out; names are looked up, never joined to a path.
_ASSETS = {
    "": ("index.html", "text/html; charset=utf-8"),
    "app.js": ("app.js", "text/javascript; charset=utf-8"),
    "app.css": ("app.css", "text/css; charset=utf-8"),
}
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # The token is in the URL: never send it anywhere in a Referer.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
}


class PreviewServer(ThreadingHTTPServer):
    """Serves the preview page of one session on 127.0.0.1.

    Every request must carry the run's token as its first path segment and a
    ``Host`` header naming this server (``127.0.0.1:PORT`` or ``localhost:PORT``),
    so other web pages, and names rebound to 127.0.0.1 by DNS, get nothing.

    Args:
        session: What to render.
        port: TCP port; 0 picks a free one.
        token: The secret; a fresh random one by default.
    """

    daemon_threads = True

    def __init__(
        self, session: PreviewSession, port: int = 0, token: str | None = None
    ) -> None:
        """Bind to 127.0.0.1 (not yet serving: call serve_forever or start)."""
        self.session = session
        self.token = token or secrets.token_urlsafe(24)
        super().__init__((LOOPBACK, port), _Handler)
        self.allowed_hosts = (
            f"{LOOPBACK}:{self.port}".encode(),
            f"localhost:{self.port}".encode(),
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """The page's address, token included."""
        return f"http://{LOOPBACK}:{self.port}/{self.token}/"

    def start(self) -> None:
        """Serve in a background thread (tests, and the CLI's watcher beside it)."""
        self._thread = threading.Thread(
            target=self.serve_forever, name="mlscaffold-preview", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join()


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the library never prints, and the token is in every path."""

    def do_GET(self) -> None:
        """Assets, the form, and the revision counter."""
        route = self._route()
        if route is None:
            return
        if route in _ASSETS:
            name, kind = _ASSETS[route]
            body = files("mlscaffold.preview").joinpath(f"assets/{name}").read_bytes()
            self._send(HTTPStatus.OK, body, kind)
        elif route == "api/form":
            self._json(HTTPStatus.OK, self.server.session.form())
        elif route == "api/revision":
            self._json(HTTPStatus.OK, {"revision": self.server.session.revision})
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "no such page"})

    def do_POST(self) -> None:
        """Render (and validate) the form's values, or write them."""
        route = self._route()
        if route is None:
            return
        if route not in ("api/render", "api/write"):
            self._json(HTTPStatus.NOT_FOUND, {"error": "no such page"})
            return
        body = self._body()
        if body is None:
            return
        parameters = body.get("parameters")
        if not isinstance(parameters, dict):
            self._json(HTTPStatus.BAD_REQUEST, {"error": "parameters: not an object"})
            return
        session = self.server.session
        if route == "api/render":
            baseline = str(body.get("baseline") or "defaults")
            self._json(HTTPStatus.OK, session.render(parameters, baseline))
            return
        try:
            written = session.write(parameters, force=bool(body.get("force")))
        except PermissionError as exc:
            self._json(HTTPStatus.FORBIDDEN, {"error": str(exc)})
        except ParamsError as exc:
            self._json(HTTPStatus.CONFLICT, {"error": "\n".join(exc.problems)})
        except (MlscaffoldError, OSError) as exc:
            self._json(HTTPStatus.CONFLICT, {"error": str(exc)})
        else:
            self._json(HTTPStatus.OK, {"written": written})

    def _route(self) -> str | None:
        """The path after the token, or None once a refusal has been sent."""
        host = (self.headers.get("Host") or "").encode()
        if not any(hmac.compare_digest(host, ok) for ok in self.server.allowed_hosts):
            self._json(HTTPStatus.FORBIDDEN, {"error": "wrong Host header"})
            return None
        path = urlsplit(self.path).path
        token, slash, rest = path.removeprefix("/").partition("/")
        if not hmac.compare_digest(token.encode(), self.server.token.encode()):
            self._json(HTTPStatus.FORBIDDEN, {"error": "missing or wrong token"})
            return None
        if not slash:  # /TOKEN: the page's relative URLs need the slash
            self._send(HTTPStatus.MOVED_PERMANENTLY, b"", "text/plain", path + "/")
            return None
        return rest

    def _body(self) -> dict[str, Any] | None:
        if self.headers.get_content_type() != "application/json":
            # A cross-site form can post text/plain without a preflight; JSON cannot.
            self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "send JSON"})
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            self._json(HTTPStatus.BAD_REQUEST, {"error": "bad Content-Length"})
            return None
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
        if not isinstance(data, dict):
            self._json(HTTPStatus.BAD_REQUEST, {"error": "body: not a JSON object"})
            return None
        return data

    def _json(self, status: HTTPStatus, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json")

    def _send(
        self, status: HTTPStatus, body: bytes, kind: str, location: str | None = None
    ) -> None:
        if status >= HTTPStatus.BAD_REQUEST:
            # A refused request's body may be unread; never reuse the connection.
            self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        if location is not None:
            self.send_header("Location", location)
        for name, value in _HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
