"""A breadth-first crawl of the links a person can follow, from the home page, within one origin."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

MAX_PAGES = 150
#: At most this many pages of one kind (one route: /admin/users/<id>, /groups/<slug>, ?page=N...), so that a
#: long list cannot spend the whole budget and hide the pages of other features. The first page of each kind
#: is visited before any second one (see crawl()), so the budget reaches every kind it can before repeats.
MAX_PER_KIND = 3
#: Paths the crawl never follows: signing out ends the session under test; static files are not pages.
SKIP_PREFIXES = ("/sign-out", "/static/")

LINKS_JS = "els => els.filter(a => !a.hasAttribute('download')).map(a => a.href)"


@dataclass
class Visit:
    url: str
    status: int
    content_type: str


@dataclass
class CrawlResult:
    visits: list[Visit] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [v.url for v in self.visits]


def _followable(url: str, origin: str) -> str | None:
    url, _fragment = urldefrag(url)
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin:  # mailto:, tel:, other sites
        return None
    if parts.path.startswith(SKIP_PREFIXES):
        return None
    return url


def crawl(page: Page, origin: str, check: Callable[[Page, Visit], list[str]] | None = None,
          start: str = "/", limit: int = MAX_PAGES, kind: Callable[[str], str] | None = None) -> CrawlResult:
    """Follow same-origin links (never forms, so never a POST) from ``start``; run ``check`` on each HTML page.

    ``check`` returns a list of problems found on the page; statuses >= 400 are collected as failures.
    ``kind`` names the kind of page a path is (its route); at most ``MAX_PER_KIND`` of each kind are visited,
    and every kind found gets its first visit before any kind gets a second.
    """
    result = CrawlResult()
    queue: deque[tuple[str, str]] = deque([(origin + start, "(start)")])  # first pages of their kind
    repeats: deque[tuple[str, str]] = deque()  # more pages of a kind already queued
    seen = {origin + start}
    kinds: Counter[str] = Counter()
    while (queue or repeats) and len(result.visits) < limit:
        url, found_on = (queue or repeats).popleft()
        try:
            response = page.goto(url)
        except PlaywrightError as e:
            if "Download is starting" in str(e):  # a file to save (CSV export and so on) is not a page
                continue
            result.failures.append(f"{url} (linked from {found_on}): {e}")
            continue
        if response is None:
            continue
        visit = Visit(page.url, response.status, response.headers.get("content-type", ""))
        result.visits.append(visit)
        seen.add(urldefrag(page.url)[0])
        if response.status >= 400:
            result.failures.append(f"{url} (linked from {found_on}) answered {response.status}")
        if not visit.content_type.startswith("text/html"):
            continue
        if check is not None:
            result.problems.extend(check(page, visit))
        for href in page.eval_on_selector_all("a[href]", LINKS_JS):
            target = _followable(href, origin)
            if target is None or target in seen:
                continue
            seen.add(target)
            path = urlsplit(target).path
            kinds[key := kind(path) if kind else path] += 1
            if kinds[key] == 1:
                queue.append((target, visit.url))
            elif kinds[key] <= MAX_PER_KIND:
                repeats.append((target, visit.url))
    return result
