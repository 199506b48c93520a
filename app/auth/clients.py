"""OAuth clients: redirect-URI rules (RFC 8252 loopback ports) and Client ID Metadata Documents.

A `client_id` that is an https URL names a metadata document the client hosts. We fetch it with
SSRF guards — https only, every resolved address public, the connection pinned to the address we
checked, at most 5 s and 64 KiB, no redirects — and accept it only if its `client_id` is that URL.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import socket
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx2
from mcp.shared.auth import InvalidRedirectUriError, OAuthClientInformationFull
from pydantic import AnyUrl, ValidationError

CIMD_TIMEOUT = 5.0
CIMD_MAX_BYTES = 64 * 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "[::1]", "::1", "localhost"})
PRIVATE_USE_SCHEME = re.compile(r"[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+")  # a reversed domain name: has a dot


class ClientMetadataError(Exception):
    """A client metadata document could not be used; the message says why."""


def is_loopback_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def redirect_uri_allowed(uri: str) -> bool:
    """An allowlist: https; http only to loopback (RFC 8252 §7.3); private-use schemes in reverse-domain
    form such as `com.example.app:/cb` (§7.1). Never a fragment (RFC 6749 §3.1.2) or credentials."""
    try:
        parts = urlsplit(uri)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return False
    if "#" in uri or parts.username is not None or parts.password is not None:
        return False
    if parts.scheme == "https":
        return bool(parts.hostname)
    if parts.scheme == "http":
        return is_loopback_redirect(uri)
    return bool(PRIVATE_USE_SCHEME.fullmatch(parts.scheme))


def _same_except_port(requested: str, registered: str) -> bool:
    a, b = urlsplit(requested), urlsplit(registered)
    return (
        is_loopback_redirect(requested)
        and is_loopback_redirect(registered)
        and a.hostname == b.hostname
        and a.path == b.path
        and a.query == b.query
    )


class SwitchboardClient(OAuthClientInformationFull):
    """A registered client whose loopback redirect URIs match on any port (RFC 8252 §7.3)."""

    def validate_redirect_uri(self, redirect_uri: AnyUrl | None) -> AnyUrl:
        registered = [str(uri) for uri in self.redirect_uris or []]
        if redirect_uri is None:
            if len(registered) == 1:
                return AnyUrl(registered[0])
            raise InvalidRedirectUriError("redirect_uri is required: the client has several registered")
        requested = str(redirect_uri)
        if not redirect_uri_allowed(requested):
            raise InvalidRedirectUriError(f"redirect_uri {requested} is not allowed (fragment or scheme)")
        if requested in registered or any(_same_except_port(requested, uri) for uri in registered):
            return redirect_uri
        raise InvalidRedirectUriError(f"redirect_uri {requested} is not registered for this client")

    def validate_scope(self, requested_scope: str | None) -> list[str] | None:
        # Switchboard has no OAuth scopes of its own: access is the signed-in person's, whole.
        return [] if requested_scope is not None else None


def is_metadata_document_id(client_id: str) -> bool:
    parts = urlsplit(client_id)
    return parts.scheme in ("https", "http") and bool(parts.netloc) and bool(parts.path.strip("/"))


def publisher_domain(client_id: str) -> str | None:
    """The host that served a metadata-document client's details (verified by fetching them); None for DCR."""
    return urlsplit(client_id).hostname if is_metadata_document_id(client_id) else None


def redirect_destination(uri: str) -> str:
    """Where a redirect URI sends the person, for pages: its host (and port), or the app's private scheme."""
    parts = urlsplit(uri)
    return parts.netloc or f"{parts.scheme}:"


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def _public(address: str) -> bool:
    """Every address this one can reach is global unicast (IPv4 inside IPv6 forms unwrapped)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local or ip in _NAT64_LOCAL:
            return False
        embedded: list[ipaddress.IPv4Address] = []
        if ip.ipv4_mapped is not None:
            embedded.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            embedded.append(ip.sixtofour)
        if ip.teredo is not None:
            embedded.extend(ip.teredo)
        if ip in _NAT64 or int(ip) >> 32 == 0:  # NAT64 and the deprecated IPv4-compatible form
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(not v4.is_global for v4 in embedded):
            return False
    return ip.is_global and not ip.is_multicast


async def _resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ClientMetadataError(f"cannot resolve {host}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def fetch_client_metadata(
    http: httpx2.AsyncClient, client_id: str, *, allow_insecure_loopback: bool = False
) -> dict[str, Any]:
    """Fetch and validate the metadata document named by `client_id`.

    `allow_insecure_loopback` (tests only) permits http:// and loopback addresses.
    """
    parts = urlsplit(client_id)
    if parts.scheme != "https" and not (allow_insecure_loopback and parts.scheme == "http"):
        raise ClientMetadataError("client metadata documents must be served over https")
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except (ValueError, UnicodeError) as exc:
        raise ClientMetadataError("the client id is not a valid URL") from exc
    if not host:
        raise ClientMetadataError("the client id names no host")
    addresses = await _resolve(host, port)
    if not allow_insecure_loopback and (not addresses or not all(_public(a) for a in addresses)):
        raise ClientMetadataError(f"{host} resolves to a private or reserved address")
    pinned = addresses[0]
    netloc = f"[{pinned}]" if ":" in pinned else pinned
    url = urlunsplit((parts.scheme, f"{netloc}:{port}", parts.path, parts.query, ""))
    request = http.build_request(
        "GET",
        url,
        headers={"Host": parts.netloc, "Accept": "application/json"},
        extensions={"sni_hostname": host},
    )
    try:
        async with asyncio.timeout(CIMD_TIMEOUT):
            response = await http.send(request, stream=True, follow_redirects=False)
            try:
                if response.status_code != 200:
                    raise ClientMetadataError(f"the metadata document answered HTTP {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > CIMD_MAX_BYTES:
                        raise ClientMetadataError("the metadata document is larger than 64 KiB")
            finally:
                await response.aclose()
    except TimeoutError as exc:
        raise ClientMetadataError("the metadata document took longer than 5 s") from exc
    except httpx2.HTTPError as exc:
        raise ClientMetadataError(f"the metadata document could not be fetched ({type(exc).__name__})") from exc
    try:
        document = json.loads(bytes(body))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ClientMetadataError("the metadata document is not JSON") from exc
    if not isinstance(document, dict):
        raise ClientMetadataError("the metadata document is not a JSON object")
    if document.get("client_id") != client_id:
        raise ClientMetadataError("the metadata document's client_id is not its own URL")
    redirect_uris = document.get("redirect_uris")
    if not isinstance(redirect_uris, list) or not redirect_uris:
        raise ClientMetadataError("the metadata document lists no redirect_uris")
    if not all(isinstance(uri, str) and redirect_uri_allowed(uri) for uri in redirect_uris):
        raise ClientMetadataError("the metadata document lists a redirect URI that is not allowed")
    if document.get("token_endpoint_auth_method", "none") != "none":
        raise ClientMetadataError("metadata-document clients must use token_endpoint_auth_method none")
    return document


def client_from_metadata(metadata: dict[str, Any], secret: str | None = None) -> SwitchboardClient:
    values = dict(metadata)
    values["client_secret"] = secret
    values.setdefault("token_endpoint_auth_method", "none")
    try:
        return SwitchboardClient.model_validate(values)
    except ValidationError as exc:
        raise ClientMetadataError(f"invalid client metadata: {exc.errors()[0]['msg']}") from exc
