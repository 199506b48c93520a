"""The connection pool under the upstream HTTP client: aiohttp's, behind httpx2's interface.

Every upstream call goes through one `httpx2.AsyncClient` (retries, error mapping and metrics are
written against it). Its own pool (httpcore2) costs about twice the CPU of aiohttp's per request,
and scans every open connection on every request, so a busy server with many connections open
spends more and more of each call there. This transport hands the request to an aiohttp session
and gives back an `httpx2.Response` with the body read, still encoded (httpx2 decodes it), and
maps aiohttp's failures onto httpx2's, keeping the one distinction retries depend on: a request
that never reached the upstream (connect errors and timeouts) against one that may have.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import ssl
import urllib.request
from collections.abc import Mapping
from typing import TYPE_CHECKING

import certifi
import httpx2

if TYPE_CHECKING:
    import aiohttp

# Beyond the read timeout: a ceiling on one whole exchange, uploads of large attachments included.
EXCHANGE_CEILING = 300.0
LARGE_BODY = 256 * 1024


def prepare() -> None:
    """Import aiohttp, a third of a second: in a thread at start-up, so neither start-up nor a first call waits."""
    for module in ("aiohttp", "yarl"):
        importlib.import_module(module)


def _timeout(extensions: Mapping[str, object]) -> aiohttp.ClientTimeout:
    """httpx2's per-request timeouts (connect, read, write, pool) as aiohttp's."""
    timeouts = extensions.get("timeout")
    given = timeouts if isinstance(timeouts, Mapping) else {}

    def seconds(name: str) -> float | None:
        value = given.get(name)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        return float(value) if isinstance(value, int | float) else None  # pyright: ignore[reportUnknownArgumentType]

    import aiohttp

    pool, connect = seconds("pool"), seconds("connect")
    # aiohttp's `connect` covers waiting for a pooled connection and connecting; `sock_connect` the latter.
    waiting = None if pool is None and connect is None else (pool or 0.0) + (connect or 0.0)
    return aiohttp.ClientTimeout(
        total=EXCHANGE_CEILING, connect=waiting, sock_connect=connect, sock_read=seconds("read")
    )


class AiohttpTransport(httpx2.AsyncBaseTransport):
    """An `httpx2` transport over one aiohttp session (opened on first use, in the running loop)."""

    def __init__(self, *, max_connections: int = 200, keepalive_seconds: float = 15.0) -> None:
        self._max_connections = max_connections
        self._keepalive_seconds = keepalive_seconds
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    def _proxy_for(self, url: httpx2.URL) -> str | None:
        """HTTP(S)_PROXY unless NO_PROXY names the host, as httpx2 honours them; looked up once per origin."""
        origin = f"{url.scheme}://{url.host}"
        if origin not in self._proxies:
            proxy = urllib.request.getproxies().get(url.scheme)
            self._proxies[origin] = None if proxy is None or urllib.request.proxy_bypass(url.host) else proxy
        return self._proxies[origin]

    def _open(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None or self._session.closed:
            # httpx2 verifies against certifi's roots; so does this, whatever the system image carries.
            # Loaded here, at the first upstream call, not while the server starts.
            verify = ssl.create_default_context(cafile=certifi.where())
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, keepalive_timeout=self._keepalive_seconds, ssl=verify
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,  # httpx2 decodes by Content-Encoding, as with its own pool
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                # Not trust_env: aiohttp would then look the proxy up in a thread on every request.
            )
        return self._session

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        import aiohttp
        from yarl import URL

        body = await request.aread()
        try:
            async with self._open().request(
                request.method,
                URL(str(request.url), encoded=True),  # exactly as httpx2 encoded it, not requoted
                headers=request.headers.multi_items(),
                # aiohttp sends a large body in chunks only from a file-like object, else it warns.
                data=io.BytesIO(body) if len(body) > LARGE_BODY else body or None,
                allow_redirects=False,  # httpx2 decides about redirects
                proxy=self._proxy_for(request.url),
                timeout=_timeout(request.extensions),
            ) as answer:
                content = await answer.read()
                headers = list(answer.raw_headers)
                status = answer.status
        except aiohttp.ConnectionTimeoutError as error:
            raise httpx2.ConnectTimeout(str(error) or "connect timeout", request=request) from error
        except aiohttp.ClientConnectorError as error:
            raise httpx2.ConnectError(str(error), request=request) from error
        except aiohttp.SocketTimeoutError as error:
            raise httpx2.ReadTimeout(str(error) or "read timeout", request=request) from error
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientResponseError) as error:
            raise httpx2.RemoteProtocolError(str(error) or type(error).__name__, request=request) from error
        except (aiohttp.ClientOSError, aiohttp.ClientPayloadError) as error:
            raise httpx2.ReadError(str(error) or type(error).__name__, request=request) from error
        except TimeoutError as error:  # the exchange's ceiling: it may have reached the upstream
            raise httpx2.ReadTimeout("the exchange took too long", request=request) from error
        except aiohttp.ClientError as error:
            raise httpx2.TransportError(str(error) or type(error).__name__, request=request) from error
        return httpx2.Response(status, headers=headers, stream=httpx2.ByteStream(content), request=request)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            await asyncio.sleep(0)  # let aiohttp finish closing its connections' transports
            self._session = None
