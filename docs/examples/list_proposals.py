#!/usr/bin/env python3
"""List every proposal of a Civic process with its supports, and post a comment that is safe to send twice.

Written from docs/api.md alone, with Python's standard library only (urllib), as a third-party developer would:

    python3 list_proposals.py https://civic.example.org cleantech-city-your-ideas-for-cleaner-air-and-greener-streets
    python3 list_proposals.py $CIVIC $SLUG --json                # one JSON object per line
    CIVIC_TOKEN=civic_... python3 list_proposals.py $CIVIC $SLUG --comment-on 17 --body "Count me in"

What it relies on (docs/api.md):

- **Cursor pages** ("Conventions", "Cursor pages"): ``?cursor=`` asks for the first page in id order; each
  page's ``next`` is the full address of the following one (``null`` on the last). Proposals supported or
  commented while it runs are never repeated or skipped, because the order is by id, which never changes.
- **Rate limits** ("Rate limits"): every answer says how many requests are left (``RateLimit-Remaining``) and
  when the window starts again (``RateLimit-Reset``, seconds); a ``429`` says how long to wait
  (``Retry-After``). The script waits rather than being refused.
- **Retrying writes** ("Retrying writes: Idempotency-Key"): a ``POST`` with an ``Idempotency-Key`` may be sent
  again; the second answer is the first one replayed (``Idempotent-Replayed: true``), and one comment is made.
  The script sends its comment twice with one key, as a client whose connection dropped would.
- **Errors** ("Conventions", "Errors") are JSON with a machine ``code``; the script prints it and stops.

The token (for ``--comment-on``) needs the ``write`` scope: create it in My account -> API tokens, choosing
"Read and write".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request, urlopen

USER_AGENT = "civic-example-list-proposals/1.0 (+docs/examples/list_proposals.py)"
ATTEMPTS = 5


class ApiError(Exception):
    def __init__(self, status: int, body: object):
        self.status, self.body = status, body
        code = body.get("code") if isinstance(body, dict) else None
        message = body.get("error") if isinstance(body, dict) else body
        super().__init__(f"{status} {code or ''}: {message}")


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


def _wait_if_spent(headers) -> None:
    """Slow down before being refused: no requests left in this window, so wait for the next one."""
    if headers.get("RateLimit-Remaining") == "0":
        time.sleep(min(int(headers.get("RateLimit-Reset") or "1"), 60))


def call(method: str, url: str, *, token: str | None = None, body: dict | None = None,
         key: str | None = None) -> tuple[int, dict[str, str], object]:
    """One API request: (status, headers, JSON body). Waits out a 429 and retries a dropped connection or a 5xx
    (safe: a GET changes nothing, and every POST here carries an Idempotency-Key)."""
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if key:
        headers["Idempotency-Key"] = key
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"Not a web address: {url!r}")
    for attempt in range(1, ATTEMPTS + 1):
        try:
            request = Request(url, data=data, headers=headers, method=method)  # noqa: S310 - http(s) checked above
            with urlopen(request, timeout=30) as response:  # noqa: S310 - http(s) checked above
                answer = response.status, dict(response.headers.items()), _json(response.read())
            _wait_if_spent(answer[1])
            return answer
        except HTTPError as error:
            payload = _json(error.read())
            if attempt < ATTEMPTS and error.code == 429:
                time.sleep(min(int(error.headers.get("Retry-After") or "1"), 120))
                continue
            if attempt < ATTEMPTS and error.code >= 500:
                time.sleep(attempt)
                continue
            raise ApiError(error.code, payload) from None
        except URLError:
            if attempt == ATTEMPTS:
                raise
            time.sleep(attempt)
    raise AssertionError("unreachable")


def proposals(base: str, slug: str, *, per_page: int = 100, pause: float = 0.0):
    """Every proposal of the process, page after page, in id order (each once, whatever changes meanwhile)."""
    url: str | None = f"{base}/api/v1/processes/{quote(slug, safe='')}/proposals?cursor=&per_page={per_page}"
    while url:
        _status, _headers, page = call("GET", url)
        yield from page["items"]
        url = page["next"]
        if url and pause:
            time.sleep(pause)  # be gentle with the server


def comment_twice(base: str, proposal_id: int, text: str, token: str, key: str | None = None) -> dict:
    """Post one comment, then the very same request again with the same Idempotency-Key (as after a dropped
    connection): the second answer must be the first one, replayed."""
    key = key or str(uuid.uuid4())
    url = f"{base}/api/v1/proposals/{proposal_id}/comments"
    first = call("POST", url, token=token, body={"body": text, "alignment": "in_favour"}, key=key)
    again = call("POST", url, token=token, body={"body": text, "alignment": "in_favour"}, key=key)
    return {"key": key, "statuses": [first[0], again[0]], "comment": first[2]["id"], "again": again[2]["id"],
            "url": first[1].get("Location"), "replayed": again[1].get("Idempotent-Replayed") == "true"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", help="the site's address, e.g. https://civic.example.org")
    parser.add_argument("process", help="the process's slug (from /api/v1/processes)")
    parser.add_argument("--per-page", type=int, default=100, help="proposals per page (1 to 100)")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds to wait between pages")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--comment-on", type=int, metavar="ID", help="also comment on this proposal (twice, safely)")
    parser.add_argument("--body", default="Count me in.", help="the comment's text")
    parser.add_argument("--key", help="the Idempotency-Key (default: a new UUID)")
    args = parser.parse_args(argv)
    base = args.site.rstrip("/")
    try:
        count = 0
        for proposal in proposals(base, args.process, per_page=args.per_page, pause=args.pause):
            count += 1
            if args.json:
                print(json.dumps({"id": proposal["id"], "title": proposal["title"],
                                  "supports_count": proposal["supports_count"],
                                  "comments_count": proposal["comments_count"]}), flush=True)
            else:
                print(f"{proposal['id']:>6}  {proposal['supports_count']:>5} supports  {proposal['title']}", flush=True)
        if not args.json:
            print(f"{count} proposals")
        if args.comment_on:
            token = os.environ.get("CIVIC_TOKEN")
            if not token:
                print("Set CIVIC_TOKEN to a token that may read and write.", file=sys.stderr)
                return 2
            result = comment_twice(base, args.comment_on, args.body, token, args.key)
            print(json.dumps({"commented": result}), flush=True)
            if result["comment"] != result["again"] or not result["replayed"]:
                print("The retry made a second comment: the server did not honour the Idempotency-Key.",
                      file=sys.stderr)
                return 1
    except ApiError as error:
        print(f"The API refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
