"""The deploy workflow's smoke test: the site answers ``GET <url>`` with 200 within a few attempts.

``python -m scripts.ci.smoke https://app.example.org/health`` tries up to ``--attempts`` times, ``--delay`` seconds
apart (a fresh deployment may still be registering targets or propagating DNS), and exits 0 on the first 200, 1
when every attempt failed, printing what each attempt saw. Only HTTPS URLs are accepted outside tests.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlparse

USER_AGENT = "webstack-smoke-test"


def attempt(url: str, timeout: float) -> tuple[bool, str]:
    """One GET: (passed, what happened)."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        return False, f"no answer: {reason}"
    return status == 200, f"HTTP {status}"


def check(
    url: str,
    attempts: int,
    delay: float,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
    report: Callable[[str], None] = print,
) -> bool:
    for number in range(1, attempts + 1):
        passed, seen = attempt(url, timeout)
        report(f"attempt {number}/{attempts}: GET {url}: {seen}")
        if passed:
            return True
        if number < attempts:
            sleep(delay)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.ci.smoke", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("url", help="what to fetch, e.g. https://<domain>/health")
    parser.add_argument("--attempts", type=int, default=10)
    parser.add_argument("--delay", type=float, default=15.0, help="seconds between attempts")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for one answer")
    parser.add_argument("--allow-http", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    scheme = urlparse(args.url).scheme
    if scheme != "https" and not (args.allow_http and scheme == "http"):
        print(f"smoke test: {args.url!r} is not an https:// URL", file=sys.stderr)
        return 2
    if args.attempts < 1:
        print("smoke test: --attempts must be at least 1", file=sys.stderr)
        return 2
    if check(args.url, args.attempts, args.delay, args.timeout):
        print(f"smoke test passed: {args.url}")
        return 0
    print(f"smoke test failed: {args.url} did not answer 200 in {args.attempts} attempts", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
