#!/usr/bin/env python3
"""The site that benches/crawl.sh crawls, and the truth about it.

    python3 benches/gen_crawl.py SITE_DIR BASE_URL OUT_DIR [PAGES]

Writes under SITE_DIR a site served at BASE_URL (http://127.0.0.1:PORT/, the
site at the server's root): /index.html (served as /) and PAGES - 1 more
pages (default PAGES 10,000), with no sitemap, so that a page is found only by
following links from /. The pages form a tree (the home page, then 6
children a page, in order: page n's children are 6n+1 .. 6n+6) and every page
also links to the home page, its parent, its next page (the last one to the
first) and 3 to 5 others drawn at random: so every page is reachable, by many
paths, and there are cycles. Pages live 1,000 to a directory
(/d/NNN/NNNNNN.html); a link to a page in the same directory is relative,
the others are root-relative (/d/...).

Each page also has the site's stylesheet and script, 2 images and a third
asset (an image, a stylesheet or a script), each a small file that exists;
every asset of the pool is linked at least once. 11 to 23 links a page,
about 13 on average, about 1.5% of them broken: PAGES / 10 distinct URLs that
no file backs (nginx answers 404): half of them pages
(/d/NNN/missing-N.html, from an <a href>), the rest images, stylesheets and
scripts, each linked at least once and twice on average, from random pages. Every link stays on the same host: the machine has no internet.
/robots.txt allows everything. Seeded: the same site every time.

OUT_DIR gets:
  pages.txt   every page URL (BASE_URL/ first, then /d/... in order)
  broken.txt  every broken URL (distinct), sorted
  assets.txt  every asset URL linked (all exist), sorted
  truth.json  {"pages", "assets", "broken", "links", "broken_links",
               "distinct"}: counts (links: every link on every page, with
               repeats; broken_links: those of them that are broken)
"""

import json
import os
import random
import sys

site, base, out = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
PAGES = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
FANOUT = 6
rng = random.Random(20261223)

SHARED = ["/static/site.css", "/static/site.js"]
IMAGES = max(4, PAGES // 5)
SCRIPTS = max(2, PAGES // 50)
STYLES = max(2, PAGES // 50)
BROKEN = max(2, PAGES // 10)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e527de000000000049454e44ae426082")
WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
         "tempor incididunt ut labore et dolore magna aliqua").split()


def write(path, data):
    full = os.path.join(site, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def page_path(n):
    """Page 0 is the home page, served as /."""
    return "/" if n == 0 else f"/d/{n // 1000:03d}/{n:06d}.html"


def directory(path):
    return path.rsplit("/", 1)[0]


def href(from_path, to_path):
    """Relative within a directory, root-relative across, as generators write."""
    if to_path != "/" and from_path != "/" and directory(from_path) == directory(to_path):
        return to_path.rsplit("/", 1)[1]
    return to_path


images = [f"/img/{i // 1000:03d}/{i:06d}.png" for i in range(IMAGES)]
styles = [f"/css/{i:05d}.css" for i in range(STYLES)]
scripts = [f"/js/{i:05d}.js" for i in range(SCRIPTS)]
for path in images:
    write(path, PNG)
for path in styles + scripts:
    write(path, f"/* {path} */\n")
write(SHARED[0], "body { font-family: sans-serif; max-width: 40em; }\n")
write(SHARED[1], "console.log('site');\n")
write("/robots.txt", "User-agent: *\nDisallow:\n")

# Broken: half pages, then images, stylesheets and scripts in turn.
missing = []
for i in range(BROKEN):
    if i % 2 == 0:
        missing.append(f"/d/{rng.randrange(max(1, PAGES // 1000)):03d}/missing-{i:06d}.html")
    else:
        missing.append([f"/img/missing-{i:06d}.png", f"/css/missing-{i:06d}.css",
                        f"/js/missing-{i:06d}.js"][i // 2 % 3])

# The third asset of each page: every image, stylesheet and script at least once.
extra = images[len(images) // 2:] + styles + scripts
extra_slots = extra + [rng.choice(images + styles + scripts)
                       for _ in range(max(0, PAGES - len(extra)))]
rng.shuffle(extra_slots)
# Broken slots: every missing URL once, about half of them again (some twice).
broken_slots = missing + [rng.choice(missing) for _ in range(BROKEN)]
broken_at = {}
for url in broken_slots:
    broken_at.setdefault(rng.randrange(PAGES), []).append(url)


def tag(from_path, path):
    if path.endswith(".png"):
        return f'<img src="{path}" alt="" width="1" height="1">'
    if path.endswith(".css"):
        return f'<link rel="stylesheet" href="{path}">'
    if path.endswith(".js"):
        return f'<script src="{path}"></script>'
    return f'<a href="{href(from_path, path)}">{path.rsplit("/", 1)[1]}</a>'


links = broken_links = 0
linked = set(SHARED)
for n in range(PAGES):
    me = page_path(n)
    others = [0, (n - 1) // FANOUT if n else None, (n + 1) % PAGES]
    others += [c for c in range(FANOUT * n + 1, FANOUT * n + FANOUT + 1) if c < PAGES]
    others += rng.sample(range(PAGES), rng.randint(3, 5))
    # Each page once, never the page itself.
    seen, targets = {n}, []
    for m in others:
        if m is not None and m not in seen:
            seen.add(m)
            targets.append(page_path(m))
    assets = [images[rng.randrange(len(images) // 2)],
              images[rng.randrange(len(images) // 2)], extra_slots[n % len(extra_slots)]]
    linked.update(assets)
    bad = broken_at.get(n, [])
    body = ([f'<a href="{href(me, t)}">{"Home" if t == "/" else t.rsplit("/", 1)[1]}</a>'
             for t in targets]
            + [tag(me, a) for a in assets] + [tag(me, b) for b in bad])
    rng.shuffle(body)
    head = [f'<link rel="stylesheet" href="{SHARED[0]}">', f'<script src="{SHARED[1]}"></script>']
    links += len(head) + len(body)
    broken_links += len(bad)
    text = " ".join(rng.choice(WORDS) for _ in range(120))
    title = "Home" if n == 0 else f"Page {n}"
    write("/index.html" if n == 0 else me, "\n".join(
        ["<!doctype html>", "<html lang=en>", "<head>", '<meta charset="utf-8">',
         f"<title>{title}</title>"] + head + ["</head>", "<body>", f"<h1>{title}</h1>",
                                             f"<p>{text}</p>", "<ul>"]
        + [f"<li>{item}</li>" for item in body] + ["</ul>", "</body>", "</html>", ""]))

pages = [f"{base}{page_path(n)}" for n in range(PAGES)]
existing = sorted(f"{base}{p}" for p in linked)
broken = sorted(f"{base}{p}" for p in set(missing))
os.makedirs(out, exist_ok=True)
for name, urls in (("pages.txt", pages), ("broken.txt", broken), ("assets.txt", existing)):
    with open(os.path.join(out, name), "w") as f:
        f.write("\n".join(urls) + "\n")
with open(os.path.join(out, "truth.json"), "w") as f:
    json.dump({"pages": len(pages), "assets": len(existing), "broken": len(broken),
               "links": links, "broken_links": broken_links,
               "distinct": len(pages) + len(existing) + len(broken)}, f, indent=1)
