"""A polite HTTP client for the registries, on the standard library (urllib) alone.

Polite, as Crossref and NCBI ask: a User-Agent naming kb and a contact e-mail, at most `rate`
requests a second to each registry, a timeout on every request, and a few retries with growing
pauses on 429 and 5xx answers and on network errors, waiting as long as Retry-After says. A 404
is an answer (NotFound), never retried. The base URL is configurable, so tests point the client
at a server on 127.0.0.1 and nothing else in kb knows the registries' hosts.

Guarded, as a client of a server it cannot trust must be: the timeout is a deadline for the
whole request (connecting, the headers, the body), so a server that drips one byte a second
cannot hold kb past it; a redirect is followed only to the same scheme, host and port, so the
contact e-mail is never sent elsewhere and https never falls back to plain http; a body over
10 MiB, or JSON nested or numbered beyond what Python reads, is a malformed answer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import http.client
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import IO, Any

RETRYABLE = frozenset({429, 500, 502, 503, 504})
MAX_BODY = 10 * 1024 * 1024
"""No registry record comes near this; a larger body is refused, not read into memory."""
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")


class RegistryError(Exception):
    """A request that gave no usable answer; the message says why, without host names."""


class NotFound(RegistryError):
    """The registry answered that it has no such record."""


class FetchError(RegistryError):
    """No answer: network error, timeout, server error after retries, or a malformed body."""


@dataclass(frozen=True)
class Politeness:
    """How kb treats a registry."""

    email: str
    """Contact address sent in the User-Agent (and to NCBI as `email`)."""
    rate: float = 3.0
    """Requests per second to one registry at most; NCBI allows 3 without an API key."""
    timeout: float = 30.0
    """Seconds one request may take in all: connecting, and the whole answer."""
    retries: int = 3
    """Further attempts after a 429, a 5xx, a timeout or a network error."""
    backoff: float = 2.0
    """Seconds before the first retry, doubled for each further one."""
    max_wait: float = 120.0
    """The longest pause between two attempts, whatever Retry-After asks."""

    def __post_init__(self) -> None:
        if not _EMAIL.fullmatch(self.email):
            raise ValueError(f"'{self.email}' is not an e-mail address")
        if self.rate <= 0 or self.timeout <= 0 or self.retries < 0 or self.backoff < 0:
            raise ValueError("rate and timeout must be positive, retries and backoff not negative")


def user_agent(contact: str) -> str:
    try:
        version = metadata.version("evidence-kb")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"evidence-kb/{version} (evidence knowledge base; mailto:{contact})"


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


class HttpClient:
    """GET JSON from one registry, politely."""

    def __init__(
        self,
        base_url: str,
        politeness: Politeness,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if urllib.parse.urlsplit(base_url).scheme not in {"http", "https"}:
            raise ValueError(f"'{base_url}' is not an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.politeness = politeness
        self._sleep = sleep
        self._clock = clock
        self._next_turn = 0.0
        self._headers = {"User-Agent": user_agent(politeness.email), "Accept": "application/json"}

    def url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        query = f"?{urllib.parse.urlencode(sorted(params.items()))}" if params else ""
        return f"{self.base_url}{path}{query}"

    def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """The decoded JSON body; NotFound on a 404, FetchError when no answer came."""
        url = self.url(path, params)
        polite = self.politeness
        attempts = polite.retries + 1
        for attempt in range(1, attempts + 1):
            self._wait_turn()
            try:
                body = self._get(url)
            except urllib.error.HTTPError as error:
                status, header = error.code, error.headers.get("Retry-After")
                error.close()
                if status == 404:
                    raise NotFound("no such record (HTTP 404)") from None
                if status not in RETRYABLE or attempt == attempts:
                    raise FetchError(f"HTTP {status} {_tries(attempt)}") from None
                self._pause(retry_after(header), attempt)
                continue
            except (
                TimeoutError,
                urllib.error.URLError,
                OSError,
                http.client.HTTPException,
            ) as error:
                if attempt == attempts:
                    raise FetchError(
                        f"{_describe(error, polite.timeout)} {_tries(attempt)}"
                    ) from None
                self._pause(None, attempt)
                continue
            return decode_json(body)
        raise AssertionError("unreachable")  # pragma: no cover

    def _get(self, url: str) -> bytes:
        """The body of one request, within the deadline; HTTPError for an error status,
        TimeoutError when the deadline passed, FetchError for a redirect elsewhere."""
        deadline = Deadline(self.politeness.timeout)
        opener = urllib.request.build_opener(
            _SameOrigin(), _WatchedHTTP(deadline), _WatchedHTTPS(deadline)
        )
        request = urllib.request.Request(url, headers=self._headers)
        try:
            with opener.open(request, timeout=self.politeness.timeout) as response:
                body: bytes = response.read(MAX_BODY + 1)
        except urllib.error.HTTPError:
            raise
        except (OSError, http.client.HTTPException):
            if deadline.expired:
                raise TimeoutError from None
            raise
        finally:
            deadline.cancel()
        if deadline.expired:  # the deadline cut the body short
            raise TimeoutError
        if len(body) > MAX_BODY:
            raise FetchError(f"malformed response: larger than {MAX_BODY // 1024 // 1024} MiB")
        return body

    def _wait_turn(self) -> None:
        now = self._clock()
        if now < self._next_turn:
            self._sleep(self._next_turn - now)
            now = self._next_turn
        self._next_turn = now + 1 / self.politeness.rate

    def _pause(self, asked: float | None, attempt: int) -> None:
        polite = self.politeness
        wait = asked if asked is not None else polite.backoff * 2 ** (attempt - 1)
        self._sleep(min(wait, polite.max_wait))


class Deadline:
    """A time limit for everything one request does: when it passes, every socket the request
    opened is shut down, which ends any read or write waiting on it at once."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)
        return sock

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _watched(base: type[http.client.HTTPConnection], deadline: Deadline) -> Any:
    """`base` (HTTP or HTTPS) whose socket the deadline watches from the moment it exists,
    before the TLS handshake, so a handshake cannot stall past it either."""

    class Watched(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            create: Callable[..., socket.socket] = self._create_connection  # type: ignore[has-type]
            self._create_connection = lambda *a, **k: deadline.watch(create(*a, **k))

    return Watched


class _Watching(urllib.request.AbstractHTTPHandler):
    """Opens connections whose sockets the deadline watches."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def do_open(self, http_class: Any, req: urllib.request.Request, **kwargs: Any) -> Any:
        return super().do_open(_watched(http_class, self.deadline), req, **kwargs)


class _WatchedHTTP(_Watching, urllib.request.HTTPHandler):
    pass


class _WatchedHTTPS(_Watching, urllib.request.HTTPSHandler):
    pass


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port, as a browser tells origins apart."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    return (
        scheme,
        (parts.hostname or "").lower(),
        parts.port or {"http": 80, "https": 443}.get(scheme),
    )


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to the origin asked: never to another host (which would get the
    contact e-mail), never from https to http."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if origin(newurl) != origin(req.full_url):
            fp.close()
            raise FetchError(
                f"redirected (HTTP {code}) to another host or to plain http: not followed"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def decode_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise FetchError("malformed response: not UTF-8") from None
    except json.JSONDecodeError as error:
        raise FetchError(
            f"malformed response: not JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno})"
        ) from None
    except RecursionError:
        raise FetchError("malformed response: JSON nested too deeply") from None
    except ValueError:  # a number of more digits than Python converts
        raise FetchError("malformed response: a number too long") from None


def malformed(error: Exception) -> FetchError:
    """An answer that parsed as JSON but is not what the registry documents, as a failure of
    that one identifier."""
    detail = " ".join(str(error).split())[:200]
    return FetchError(f"malformed response: {detail}")


MALFORMED = (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError)
"""What interpreting an answer of the wrong shape can raise (pydantic's ValidationError is a
ValueError)."""


def _tries(attempt: int) -> str:
    return "after 1 attempt" if attempt == 1 else f"after {attempt} attempts"


def _describe(error: BaseException, timeout: float) -> str:
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, TimeoutError):
        return f"no complete answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, http.client.HTTPException | ConnectionError):
        return f"connection broken ({type(reason).__name__})"
    return f"network error ({type(reason).__name__})"
