#!/usr/bin/env python3
"""The static site of tests/e2e/sites.sh, and the truth about it.

    python3 tests/e2e/gen_site.py SITE_DIR BASE_URL TRUTH_JSON

Writes a site for nginx to serve at BASE_URL (http://127.0.0.1:PORT): a
robots.txt naming a sitemap index, the index naming a plain sitemap and a
gzipped one, a home page and 40 pages that link to each other, images (one
with a srcset), a stylesheet, a script, a <base href> on one page, a mailto,
fragments, a link in a comment; and a known set of broken things. TRUTH_JSON
says what urlcheck must find:

    pages      every <loc> of the sitemaps, in order
    ok         every other URL that must get a passing record
    broken     URL -> {kind, status, places: [[page URL, line], ...]}
    fragments  with --check-fragments only: URL#name -> {ok, kind, places}
    not_links  URLs that must get no record (a comment, a mailto)
"""

import gzip
import json
import os
import sys

site, base, truth_path = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
PAGES = 40


def page_url(n):
    return f"{base}/pages/page-{n:02d}.html"


def write(path, data):
    full = os.path.join(site, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(full, mode) as f:
        f.write(data)


broken = {}
fragments = {}


def place(table, url, page, line, **what):
    entry = table.setdefault(url, dict(what, places=[]))
    entry["places"].append([page, line])


class Page:
    """An HTML page built line by line, so that each link's line is known."""

    def __init__(self, url, title, head=()):
        self.url = url
        self.lines = ["<!doctype html>", "<html lang=en>", "<head>",
                      '<meta charset="utf-8">', f"<title>{title}</title>"]
        self.lines += list(head)
        self.lines += ["</head>", "<body>", f'<h1 id="top">{title}</h1>']

    def add(self, html):
        """Adds a line; returns its line number (1-based)."""
        self.lines.append(html)
        return len(self.lines)

    def broken(self, html, url, kind, status):
        place(broken, url, self.url, self.add(html), kind=kind, status=status)

    def text(self):
        return "\n".join(self.lines + ["</body>", "</html>", ""])


# --- assets that exist --------------------------------------------------------
PNG = bytes.fromhex(  # a 1x1 transparent PNG
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e527de000000000049454e44ae426082")
for name in ("logo.png", "photo.png", "photo-1x.png", "photo-2x.png"):
    write(f"/img/{name}", PNG)
write("/css/site.css", "body { font-family: sans-serif; }\n")
write("/js/site.js", "console.log('site');\n")
ok = [f"{base}/img/{n}" for n in ("logo.png", "photo.png", "photo-1x.png", "photo-2x.png")]
ok += [f"{base}/css/site.css", f"{base}/js/site.js", f"{base}/about.html",
       f"{base}/docs/guide.html"]

about = Page(f"{base}/about.html", "About")
about.add("<p>Not in any sitemap, only linked.</p>")
write("/about.html", about.text())
guide = Page(f"{base}/docs/guide.html", "Guide")
guide.add("<p>Found only through the base href of page 25.</p>")
write("/docs/guide.html", guide.text())

# --- the home page --------------------------------------------------------------
home = Page(f"{base}/", "Home", ['<link rel="stylesheet" href="/css/site.css">'])
home.add('<img src="img/logo.png" alt="logo">')
home.add("<ul>")
for n in range(1, PAGES + 1):
    home.add(f'<li><a href="pages/page-{n:02d}.html">Page {n}</a></li>')
home.add("</ul>")
write("/index.html", home.text())

# --- the pages ------------------------------------------------------------------
for n in range(1, PAGES + 1):
    url = page_url(n)
    head = ['<link rel="stylesheet" href="../css/site.css">',
            '<script src="/js/site.js"></script>']
    if n == 9:
        head.append('<link rel="stylesheet" href="/css/missing.css">')
    if n == 25:
        # Every relative link below resolves against /docs/, not /pages/.
        head.append('<base href="/docs/">')
    p = Page(url, f"Page {n}", head)
    if n == 9:
        place(broken, f"{base}/css/missing.css", url,
              p.lines.index('<link rel="stylesheet" href="/css/missing.css">') + 1,
              kind="status", status=404)
    p.add('<img src="/img/logo.png" alt="logo">')
    p.add('<img src="/img/photo.png" srcset="/img/photo-1x.png 1x, /img/photo-2x.png 2x" alt="">')
    p.add('<p><a href="/">Home</a> <a href="/about.html">About</a></p>')
    if n != 25:
        # Under page 25's base href, these would be /docs/ URLs.
        # A link within the page: judged against the anchors read with it,
        # no check of its own (it has the anchor), so no record.
        p.add('<a href="#top">Top</a>')
        p.add(f'<a href="page-{n % PAGES + 1:02d}.html">Next</a>')
        p.add(f'<a href="/pages/page-{(n - 2) % PAGES + 1:02d}.html">Previous</a>')
    p.add(f'<h2 id="section-2">Section 2 of page {n}</h2>')
    if n == 1:
        p.add('<a href="mailto:webmaster@example.com">Write to us</a>')
    if n == 2:
        line = p.add('<a href="page-03.html#section-2">a fragment that exists</a>')
        place(fragments, f"{base}/pages/page-03.html#section-2", url, line, ok=True, kind=None)
        line = p.add('<a href="page-04.html#no-such-anchor">a fragment that does not</a>')
        place(fragments, f"{base}/pages/page-04.html#no-such-anchor", url, line,
              ok=False, kind="fragment")
    if n == 3:
        p.broken('<a href="missing-a.html">missing A</a>',
                 f"{base}/pages/missing-a.html", "status", 404)
    if n == 4:
        p.add('<!-- <a href="/in-comment.html">not a link</a> -->')
    if n in (5, 6, 35):
        p.broken('<img src="/img/missing.png" alt="missing">',
                 f"{base}/img/missing.png", "status", 404)
    if n == 7:
        p.broken('<a href="/pages/missing-a.html">missing A again</a>',
                 f"{base}/pages/missing-a.html", "status", 404)
    if n == 8:
        p.broken('<img src="/img/photo.png" srcset="/img/photo-1x.png 1x, /img/missing-2x.png 2x" alt="">',
                 f"{base}/img/missing-2x.png", "status", 404)
    if n == 12:
        p.broken('<a href="missing-b.html">missing B</a>',
                 f"{base}/pages/missing-b.html", "status", 404)
    if n in (15, 30):
        p.broken('<a href="/error">a server error</a>', f"{base}/error", "status", 500)
    if n == 20:
        p.broken('<a href="/nope/">a missing folder</a>', f"{base}/nope/", "status", 404)
    if n == 25:
        p.add('<a href="guide.html">the guide, through the base href</a>')
        p.broken('<a href="nothere.html">missing under the base</a>',
                 f"{base}/docs/nothere.html", "status", 404)
    if n == 33:
        p.broken('<a href="http://127.0.0.1:1/unreachable">nothing listens</a>',
                 "http://127.0.0.1:1/unreachable", "connect", None)
    write(f"/pages/page-{n:02d}.html", p.text())

# --- sitemaps -------------------------------------------------------------------
def urlset(locs):
    body = "".join(f"  <url><loc>{loc}</loc></url>\n" for loc in locs)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{body}</urlset>\n")


plain = [f"{base}/"] + [page_url(n) for n in range(1, 21)]
# A page the sitemap lists that does not exist: a 404 located in the sitemap.
gzipped = [page_url(n) for n in range(21, PAGES + 1)] + [f"{base}/pages/not-there.html"]
write("/sitemaps/pages.xml", urlset(plain))
write("/sitemaps/more.xml.gz", gzip.compress(urlset(gzipped).encode(), mtime=0))
write("/sitemap_index.xml",
      '<?xml version="1.0" encoding="UTF-8"?>\n'
      '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
      f"  <sitemap><loc>{base}/sitemaps/pages.xml</loc></sitemap>\n"
      f"  <sitemap><loc>{base}/sitemaps/more.xml.gz</loc></sitemap>\n"
      "</sitemapindex>\n")
write("/robots.txt", f"User-agent: *\nDisallow:\n\nSitemap: {base}/sitemap_index.xml\n")

missing_page = f"{base}/pages/not-there.html"
# The line of its <loc> in the gzipped sitemap (after the XML declaration and <urlset>).
broken[missing_page] = {"kind": "status", "status": 404,
                        "sitemap": [f"{base}/sitemaps/more.xml.gz", 2 + len(gzipped)],
                        "places": []}

with open(truth_path, "w") as f:
    json.dump({"pages": plain + gzipped, "ok": ok, "broken": broken,
               "fragments": fragments,
               "not_links": [f"{base}/in-comment.html", "mailto:webmaster@example.com"]},
              f, indent=1)
