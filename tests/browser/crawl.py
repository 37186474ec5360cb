"""The crawl behind tests/browser/test_crawl.py: every page a role can reach by same-site links, at a phone's and
a desk's width, checked for what a person would notice (a page wider than the screen, a script error, a broken
link or image) and by axe-core for serious or critical accessibility violations.

A finding is keyed by (page pattern, width, check): the pattern is the path with ids, dates and tokens replaced,
so "the pickup page overflows on a phone" is one finding however many pickups the demo has. KNOWN_FAILURES is
the ratchet: the test fails on a finding not listed and on a listed one that no longer occurs.
"""

import os
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from playwright.sync_api import Error as PlaywrightError

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WIDTHS = (390, 1280)
HEIGHT = 844
# Two instances of one pattern show what every other instance would: /pickups/<id>/ for two pickups, not fifty.
PER_PATTERN = 2
# What is left alone: logging out ends the crawl's session; downloads and PDFs are not pages; the admin's delete
# and history pages are many and Django's own; the API's browsable pages are for developers, not the site's users.
SKIP = re.compile(
    r"/logout/|/accounts/logout|/delete/|/history/|\.pdf$|/pdf/|/download|/export|\.csv$|\.ics$|/sheet\.pdf|^/api/"
)
PATTERN_PARTS = [
    (re.compile(r"^\d+$"), "<id>"),
    (re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"), "<uuid>"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "<date>"),
    (re.compile(r"^\d{5}$"), "<zip>"),
    (re.compile(r"^[A-Za-z0-9_:-]{20,}$"), "<token>"),
]

# What fails today, one line per (page pattern, check) with the widths it fails at: each is a defect to fix, and
# the test fails when one no longer occurs, so the list only shrinks. The crawl's report.md ends with it written
# out afresh.
KNOWN: list[tuple[str, str, tuple[int, ...]]] = []
KNOWN_FAILURES = {(pattern, width, check) for pattern, check, widths in KNOWN for width in widths}


@dataclass(frozen=True)
class Finding:
    pattern: str
    width: int
    check: str  # "overflow", "console", "request", "link", "axe:<rule>"
    detail: str
    url: str
    role: str

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.pattern, self.width, self.check)


@dataclass
class Crawl:
    findings: list[Finding] = field(default_factory=list)
    pages: dict[str, list[str]] = field(default_factory=dict)  # role -> URLs visited
    seconds: float = 0.0
    cpu: float = 0.0

    def failing(self) -> set[tuple[str, int, str]]:
        return {finding.key for finding in self.findings}


def skipped(parts) -> bool:
    return bool(SKIP.search(parts.path) or re.search(r"(^|&)(format|download|export)=", parts.query))


def pattern_of(path: str) -> str:
    parts = []
    for part in path.split("/"):
        for regex, name in PATTERN_PARTS:
            if regex.match(part):
                part = name
                break
        parts.append(part)
    return "/".join(parts)


# The console says what the policy blocked but not where from: the violation event names the file and line.
WATCH_CSP = """document.addEventListener('securitypolicyviolation', (e) => (window.__csp ||= []).push(
    `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} from ${e.sourceFile || 'the page'}:${e.lineNumber}`
))"""
NEXT_FRAME = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
# What the page shows at the current width: its overflow, its links and axe's serious and critical violations.
CHECKS = """async () => {
    const doc = document.documentElement;
    const links = [...document.querySelectorAll('a[href]')]
        .filter((a) => !a.hasAttribute('download'))
        .map((a) => a.href);
    const images = [...document.images]
        .filter((img) => img.complete && img.naturalWidth === 0 && img.currentSrc)
        .map((img) => img.currentSrc);
    // Name the widest elements past the right edge: those whose parent ends inside the screen first.
    const limit = window.innerWidth + 1;
    const right = (el) => el.getBoundingClientRect().right;
    const past = doc.scrollWidth <= limit ? [] : [...document.querySelectorAll('body *')]
        .filter((el) => right(el) > limit);
    const outermost = past.filter((el) => right(el.parentElement) <= limit);
    const wide = (outermost.length ? outermost : past.sort((a, b) => right(b) - right(a)))
        .slice(0, 3)
        .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
            + (typeof el.className === 'string' && el.className.trim()
                ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
            + ` (${Math.round(right(el))} px)`);
    // preload: false. Preloading copies the stylesheets into <style> elements, which the site's CSP refuses: the
    // console errors were axe's, not the page's. Only css-orientation-lock needs it, and no stylesheet here has
    // an orientation media query.
    const axeResult = await axe.run(document, {resultTypes: ['violations'], preload: false});
    const violations = axeResult.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
    const csp = (window.__csp || []).splice(0);
    return {csp, scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth, links, images, wide, violations};
}"""


def crawl(context, *, role: str, starts: list[str], origin: str, shots: Path, deadline_s: float) -> Crawl:
    """Visit every page reachable from `starts` in `context`'s session; record what fails at each width."""
    axe_source = AXE.read_text()
    result = Crawl()
    page = context.new_page()
    page.add_init_script(WATCH_CSP)
    page.set_default_timeout(15_000)
    events: list[tuple[str, str]] = []
    # "Failed to load resource" repeats a 4xx/5xx the response handler below records with its URL.
    page.on(
        "console",
        lambda m: (
            events.append(("console", m.text))
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda error: events.append(("console", str(error))))
    page.on("requestfailed", lambda r: events.append(("request", f"{r.url} failed: {r.failure}")))

    def on_response(response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            events.append(("request", f"{response.status} for {response.url}"))

    page.on("response", on_response)
    seen_urls: set[str] = set()
    per_pattern: dict[str, int] = defaultdict(int)
    queue = deque(origin + start for start in starts)
    started, cpu_started = time.monotonic(), cpu_seconds()
    shots.mkdir(parents=True, exist_ok=True)

    while queue and time.monotonic() - started < deadline_s:
        url = queue.popleft()
        path = urlsplit(url).path
        pattern = pattern_of(path)
        if url in seen_urls or per_pattern[pattern] >= PER_PATTERN:
            continue
        seen_urls.add(url)
        per_pattern[pattern] += 1
        result.pages.setdefault(role, []).append(url)
        print(f"crawl {role} {time.monotonic() - started:5.1f}s {url}", flush=True)  # shown when the test fails
        shot_name = f"{role}{pattern.replace('/', '_').replace('<', '').replace('>', '')}-{per_pattern[pattern]}"

        def find(width: int, check: str, detail: str, pattern=pattern, url=url) -> None:
            result.findings.append(Finding(pattern, width, check, detail, url, role))

        # Loaded once at the phone's width (the site is phone first), then widened: media queries and resize
        # handlers redo the layout, and a page is fetched and axe parsed once instead of once a width.
        events.clear()
        page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
        try:
            response = page.goto(url, wait_until="load")
            if response is None or response.status >= 400:
                find(WIDTHS[0], "link", f"{response.status if response else 'no response'} for {url}")
            landed = urlsplit(page.url)
            if f"{landed.scheme}://{landed.netloc}" != origin:
                continue  # an off-site redirect (the Stripe stand-in's pages): not ours to check
            page.evaluate(axe_source)  # over CDP: the site's CSP stays on, its violations show
        except PlaywrightError as error:
            find(WIDTHS[0], "load", f"{url}: {str(error).splitlines()[0]}")
            continue
        seen_urls.add(urldefrag(page.url).url)
        checks = None
        for width in WIDTHS:
            try:
                if width != WIDTHS[0]:
                    page.set_viewport_size({"width": width, "height": HEIGHT})
                    page.evaluate(NEXT_FRAME)
                checks = page.evaluate(CHECKS)
                page.screenshot(path=str(shots / f"{shot_name}-{width}.png"), full_page=True)
            except PlaywrightError as error:
                find(width, "load", f"{url}: {str(error).splitlines()[0]}")
                break
            if checks["scrollWidth"] > checks["innerWidth"] + 1:
                find(width, "overflow", f"{checks['scrollWidth']} px wide: {', '.join(checks['wide'])}")
            for image in checks["images"]:
                find(width, "request", f"broken image {image}")
            for violation in checks["violations"]:
                find(width, f"axe:{violation['id']}", f"{violation['help']}: {'; '.join(violation['targets'])}")
            for where in sorted(set(checks["csp"])):
                find(width, "console", f"CSP: {where}")
            for kind, detail in events:
                find(width, kind, detail)
            events.clear()
        for link in checks["links"] if checks else []:
            link = urldefrag(link).url
            parts = urlsplit(link)
            if f"{parts.scheme}://{parts.netloc}" == origin and not skipped(parts) and link not in seen_urls:
                queue.append(link)
    result.seconds, result.cpu = time.monotonic() - started, cpu_seconds() - cpu_started
    left = {url for url in queue if url not in seen_urls and per_pattern[pattern_of(urlsplit(url).path)] < PER_PATTERN}
    if left:
        detail = f"{len(left)} pages left after {deadline_s} s"
        result.findings.append(Finding(starts[0], 0, "time", detail, starts[0], role))
    page.close()
    return result


def cpu_seconds() -> float:
    """CPU time of this process and every process under it (the browser and its renderers), reaped ones included:
    what the crawl costs on a machine of its own, where the wall clock here depends on who else is busy."""
    children: dict[int, list[int]] = defaultdict(list)
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        children[int(fields[1])].append(pid)
        times[pid] = sum(int(value) for value in fields[11:15]) / tick  # utime, stime, cutime, cstime
    total, stack = 0.0, [os.getpid()]
    while stack:
        pid = stack.pop()
        total += times.get(pid, 0.0)
        stack += children.get(pid, [])
    return total


def known_table(found: set[tuple[str, int, str]]) -> str:
    """The KNOWN list that matches `found`, as Python lines."""
    widths: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pattern, width, check in sorted(found):
        widths[(pattern, check)].append(width)
    return "\n".join(
        f"    ({pattern!r}, {check!r}, {tuple(w)}),".replace("'", '"') for (pattern, check), w in sorted(widths.items())
    )


def report(crawls: dict[str, Crawl], known: set[tuple[str, int, str]], path: Path) -> str:
    """Markdown of the findings, grouped by page pattern and then by check, with what is new and what is fixed."""
    findings = [finding for crawl in crawls.values() for finding in crawl.findings]
    found = {finding.key for finding in findings}
    lines = ["# Crawl findings", ""]
    total_pages = sum(len(urls) for crawl in crawls.values() for urls in crawl.pages.values())
    timing = ", ".join(
        f"{role} {len(c.pages.get(role, []))} pages in {c.seconds:.0f} s, {c.cpu:.0f} s of CPU"
        for role, c in crawls.items()
    )
    lines += [f"{total_pages} pages at {' and '.join(f'{w} px' for w in WIDTHS)} ({timing}).", ""]
    lines += [
        f"{len(found)} failing (pattern, width, check); {len(found - known)} not in KNOWN_FAILURES; "
        f"{len(known - found)} listed but fixed.",
        "",
    ]
    by_pattern: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in findings:
        by_pattern[finding.pattern][finding.check].append(finding)
    for pattern in sorted(by_pattern):
        lines.append(f"## {pattern}")
        for check in sorted(by_pattern[pattern]):
            group = by_pattern[pattern][check]
            widths = sorted({f.width for f in group})
            roles = sorted({f.role for f in group})
            status = "known" if all(f.key in known for f in group) else "NEW"
            lines.append(f"- **{check}** at {', '.join(f'{w} px' for w in widths)} as {', '.join(roles)} ({status})")
            for detail in sorted({f.detail for f in group})[:4]:
                lines.append(f"  - {detail[:300]}")
        lines.append("")
    if known - found:
        lines.append("## Fixed (remove from KNOWN_FAILURES)")
        lines += [f"- {key}" for key in sorted(known - found)]
        lines.append("")
    lines += ["## KNOWN for tests/browser/crawl.py", "", "```python", known_table(found), "```"]
    text = "\n".join(lines) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text
