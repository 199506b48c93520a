"""A headless browser stand-in for OAuth: follows redirects through Switchboard and sandbox Google."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from sandbox.seed import ALICE


class MemoryTokenStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class Browser:
    """Cookies, redirects, and the consent form's Allow button — what a person's browser does."""

    def __init__(self, email: str = ALICE, decision: str = "approve") -> None:
        self.email = email
        self.decision = decision
        self.http = httpx2.AsyncClient(timeout=15, follow_redirects=False)
        self.pages: list[httpx2.Response] = []
        self.extra_google_params = ""

    async def aclose(self) -> None:
        await self.http.aclose()

    async def walk(self, url: str, stop_prefix: str) -> str:
        """Follow the authorization flow from `url` until a redirect to `stop_prefix`; return that URL."""
        for _ in range(20):
            if url.startswith(stop_prefix):
                return url
            if "/o/oauth2/v2/auth" in url and "sandbox_login=" not in url:
                url += ("&" if "?" in url else "?") + "sandbox_login=" + self.email + self.extra_google_params
            response = await self.http.get(url)
            self.pages.append(response)
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code == 200 and 'action="/oauth/consent"' in response.text:
                form = dict(re.findall(r'name="(csrf|request)" value="([^"]*)"', response.text))
                posted = await self.http.post(urljoin(url, "/oauth/consent"), data={**form, "decision": self.decision})
                self.pages.append(posted)
                url = urljoin(url, posted.headers["location"])
                continue
            proceed = re.search(r'<a class="button" href="([^"]+)">Continue without them</a>', response.text)
            if response.status_code == 200 and proceed:
                url = urljoin(url, html.unescape(proceed.group(1)))
                continue
            raise AssertionError(f"stuck at {url}: HTTP {response.status_code}\n{response.text[:500]}")
        raise AssertionError("too many redirects")


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
