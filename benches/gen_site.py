#!/usr/bin/env python3
"""The site that benches/sites.sh checks, and the truth about it.

    python3 benches/gen_site.py SITE_DIR BASE_URL OUT_DIR [PAGES] [LINKS]

Writes under SITE_DIR a site served at BASE_URL (http://127.0.0.1:PORT/s):
PAGES pages (default 2,000) of LINKS links each (default 50), and a sitemap
index naming four sitemaps of the pages, the last one gzipped. Every page has
the site's stylesheet and script, links to 10 other pages (the next one
among them, so that a crawl from the first page reaches them all) and
LINKS - 12 images, stylesheets and scripts, each a small file. There are
about PAGES x 10 distinct URLs in all (pages included), 2% of them missing
(404): pages, images, stylesheets and scripts that no file backs. Every URL
is linked at least once; the rest of the slots are drawn at random, so an
asset is linked from about four pages. Seeded: the same site every time.

OUT_DIR gets pages.txt (the page URLs, one a line, in sitemap order) and
truth.json ({"pages": n, "links": n, "distinct": n, "broken": [URL, ...]}).
"""

import gzip
import json
import os
import random
import sys
from urllib.parse import urlsplit

site, base, out = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
PAGES = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
LINKS = int(sys.argv[5]) if len(sys.argv) > 5 else 50
PAGE_LINKS = 10
SHARED = ["/static/site.css", "/static/site.js"]
rng = random.Random(20261207)
# The site's path under the server (/s): root-relative links start with it.
ROOT = urlsplit(base).path

DISTINCT = PAGES * 10
BROKEN = DISTINCT * 2 // 100
ASSETS = DISTINCT - PAGES - BROKEN - len(SHARED)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e527de000000000049454e44ae426082")


def write(path, data):
    full = os.path.join(site, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def page_path(n):
    return f"/p/{n:04d}.html"


# Assets that exist: 70% images, 15% stylesheets, 15% scripts.
assets = []
for i in range(ASSETS):
    kind = ("img", "png") if i % 20 < 14 else ("css", "css") if i % 20 < 17 else ("js", "js")
    assets.append(f"/{kind[0]}/{i:05d}.{kind[1]}")
for path in assets:
    write(path, PNG if path.endswith(".png") else f"/* {path} */\n")
write(SHARED[0], "body { font-family: sans-serif; }\n")
write(SHARED[1], "console.log('site');\n")

# Missing: half pages, then images, stylesheets and scripts.
missing = []
for i in range(BROKEN):
    if i % 2 == 0:
        missing.append(f"/p/missing-{i:04d}.html")
    else:
        missing.append([f"/img/missing-{i:04d}.png", f"/css/missing-{i:04d}.css",
                        f"/js/missing-{i:04d}.js", f"/img/missing-{i:04d}.png"][i // 2 % 4])

# The asset slots of all pages: every asset and missing URL once, the rest at random.
per_page = LINKS - PAGE_LINKS - len(SHARED)
pool = assets + missing
slots = pool + [rng.choice(pool) for _ in range(PAGES * per_page - len(pool))]
rng.shuffle(slots)


def tag(path):
    path = ROOT + path
    if path.endswith(".png"):
        return f'<img src="{path}" alt="">'
    if path.endswith(".css"):
        return f'<link rel="stylesheet" href="{path}">'
    if path.endswith(".js"):
        return f'<script src="{path}"></script>'
    return f'<a href="{path}">{path}</a>'


links = 0
for n in range(1, PAGES + 1):
    own = slots[(n - 1) * per_page:n * per_page]
    others = [n % PAGES + 1] + rng.sample(range(1, PAGES + 1), PAGE_LINKS - 1)
    # Links to other pages: relative, as a site's generator writes them.
    page_links = [f'<a href="{m:04d}.html">Page {m}</a>' for m in others]
    head = [f'<link rel="stylesheet" href="{ROOT}{SHARED[0]}">',
            f'<script src="{ROOT}{SHARED[1]}"></script>']
    body = [tag(p) for p in own] + page_links
    rng.shuffle(body)
    links += len(head) + len(body)
    write(page_path(n), "\n".join(
        ["<!doctype html>", "<html lang=en>", "<head>", '<meta charset="utf-8">',
         f"<title>Page {n}</title>"] + head + ["</head>", "<body>", f"<h1>Page {n}</h1>"]
        + [f"<p>{line}</p>" for line in body] + ["</body>", "</html>", ""]))

# Four sitemaps of the pages, the last gzipped, and the index naming them.
pages = [f"{base}{page_path(n)}" for n in range(1, PAGES + 1)]
names = []
quarter = (PAGES + 3) // 4
for i in range(4):
    locs = "".join(f"  <url><loc>{u}</loc></url>\n" for u in pages[i * quarter:(i + 1) * quarter])
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
           f"{locs}</urlset>\n")
    if i == 3:
        name = f"/sitemap-{i + 1}.xml.gz"
        write(name, gzip.compress(xml.encode(), mtime=0))
    else:
        name = f"/sitemap-{i + 1}.xml"
        write(name, xml)
    names.append(name)
write("/sitemap_index.xml",
      '<?xml version="1.0" encoding="UTF-8"?>\n'
      '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
      + "".join(f"  <sitemap><loc>{base}{name}</loc></sitemap>\n" for name in names)
      + "</sitemapindex>\n")

os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "pages.txt"), "w") as f:
    f.write("\n".join(pages) + "\n")
with open(os.path.join(out, "truth.json"), "w") as f:
    json.dump({"pages": PAGES, "links": links,
               "distinct": PAGES + len(SHARED) + len(set(pool)),
               "broken": sorted(f"{base}{p}" for p in set(missing))}, f, indent=1)
