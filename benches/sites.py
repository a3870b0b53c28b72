#!/usr/bin/env python3
"""The report of benches/sites.sh: reads the runs it made under SITES_WORK/out
(NAME.RUN/{time,code,requests,command,out.*}) and the generator's truth, and
writes SITES_OUT/sites.md (also printed). Medians over the runs of each
contender; the broken set of every run is compared with the truth."""

import datetime
import glob
import json
import os
import platform
import re
import statistics
import subprocess

work = os.environ["SITES_WORK"]
out_dir = os.environ["SITES_OUT"]
base = os.environ["SITES_BASE"]
truth = json.load(open(f"{work}/truth.json"))
true_broken = set(truth["broken"])

CONTENDERS = [
    ("urlcheck", "urlcheck", "default for sites: 64 workers, --per-host 8"),
    ("urlcheck-per-host-64", "urlcheck", "--per-host 64"),
    ("lychee-default", "lychee", "--max-concurrency 64 --include-verbatim, per-host defaults (10 at once, 50 ms apart)"),
    ("lychee-relaxed", "lychee", "--max-concurrency 64 --include-verbatim --host-concurrency 64 --host-request-interval 0 --max-retries 0 --timeout 10"),
    ("linkinator", "linkinator", "--concurrency 64, the page URLs as arguments"),
]


def timing(path):
    text = open(path).read()

    def field(name):
        return re.search(rf"{re.escape(name)}.*: (.+)", text).group(1).strip()

    parts = [float(p) for p in field("Elapsed (wall clock) time").split(":")]
    wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    return wall, cpu, int(field("Maximum resident set size (kbytes)")) / 1024


def broken_of(tool, path):
    """The set of URLs a run reported broken, and how many results it wrote."""
    if tool == "urlcheck":
        rows = [json.loads(line) for line in open(path)]
        distinct = len({r["url"] for r in rows})
        return ({r["url"] for r in rows if not r["ok"]},
                f"{len(rows):,} records for {distinct:,} distinct URLs")
    data = json.load(open(path))
    if tool == "lychee":
        urls = set()
        for table in ("error_map", "timeout_map"):
            for responses in (data.get(table) or {}).values():
                urls.update(r["url"] for r in responses)
        return urls, f"{data.get('total'):,} links in its totals, {data.get('cached'):,} of them cached"
    links = data["links"]
    failed = {l["url"] for l in links if l["state"] == "BROKEN" and l["status"] == 0}
    return ({l["url"] for l in links if l["state"] == "BROKEN"},
            f"{len(links):,} results ({len({l['url'] for l in links}):,} distinct URLs), "
            f"{len(failed):,} URLs broken with status 0 (the request failed, no response)")


def fmt_s(s):
    return f"{s:,.2f} s" if s < 100 else f"{s:,.0f} s"


results = {}
for name, tool, flags in CONTENDERS:
    runs = sorted(glob.glob(f"{work}/out/{name}.*"), key=lambda d: int(d.rsplit(".", 1)[1]))
    if not runs:
        continue
    rows = []
    for d in runs:
        wall, cpu, rss = timing(f"{d}/time")
        output = glob.glob(f"{d}/out.*")[0]
        broken, count = broken_of(tool, output)
        rows.append({"wall": wall, "cpu": cpu, "rss": rss, "broken": broken, "count": count,
                     "code": int(open(f"{d}/code").read()),
                     "requests": int(open(f"{d}/requests").read()),
                     "command": open(f"{d}/command").read().strip()})
    med = {k: statistics.median(r[k] for r in rows) for k in ("wall", "cpu", "rss", "requests")}
    results[name] = {"tool": tool, "flags": flags, "runs": rows, **med}


def verdict(a, b, key, limit):
    if a not in results or b not in results:
        return None
    ratio = results[a][key] / results[b][key]
    return ratio, ratio <= limit


def run_version(args):
    try:
        return subprocess.run(args, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "?"


cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                  if l.startswith("model name")), platform.processor())
mem = next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))
versions = {
    "urlcheck": run_version([os.environ["SITES_URLCHECK"], "--version"]),
    "lychee": run_version([os.environ["SITES_LYCHEE"], "--version"]),
    "linkinator": "linkinator " + run_version([os.environ["SITES_LINKINATOR"], "--version"]),
    "node": "node " + run_version(["node", "--version"]),
    "nginx": subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip(),
}
rev = os.environ.get("SITES_REV") or run_version(
    ["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse", "--short", "HEAD"])

lines = [
    "# Checking a whole site: urlcheck, lychee and linkinator",
    "",
    f"`bash benches/sites.sh`, {datetime.date.today().isoformat()}, urlcheck at {rev} "
    f"(release build). Machine: {cpu_model}, {os.cpu_count()} cores, "
    f"{int(mem) // 1024 // 1024} GiB, Linux {platform.release()}; {versions['nginx']} "
    "(one worker process, no access log) on loopback, sharing the cores with the tool.",
    "",
    f"The site (`benches/gen_site.py`): {truth['pages']:,} pages, {truth['links']:,} links "
    f"on them ({truth['links'] // truth['pages']} a page), {truth['distinct']:,} distinct URLs "
    f"(pages included), {len(true_broken):,} of them missing (404): pages, images, "
    "stylesheets and scripts. Every other asset is a small file. A sitemap index names "
    "four sitemaps of the pages, the last gzipped. Each tool reads every page and checks "
    "every link on it, one hop.",
    "",
    f"Medians of {max(len(r['runs']) for r in results.values())} runs "
    "(lychee at its per-host defaults: one run), each under `/usr/bin/time -v`; "
    "requests as nginx's `stub_status` counted them.",
    "",
    "| tool | configuration | wall | CPU (user+sys) | peak RSS | requests | broken found | = truth |",
    "|---|---|---:|---:|---:|---:|---:|---|",
]
for name, r in results.items():
    sets = [run["broken"] for run in r["runs"]]
    same = all(s == true_broken for s in sets)
    lines.append(
        f"| {r['tool']} | {r['flags']} | {fmt_s(r['wall'])} | {fmt_s(r['cpu'])} | "
        f"{r['rss']:,.1f} MB | {r['requests']:,.0f} | "
        f"{' / '.join(sorted({f'{len(s):,}' for s in sets}))} | {'yes' if same else '**no**'} |")

lines += ["", "Targets (urlcheck's wall time at most a third of lychee's, its peak RSS at most a fifth):", ""]
for a, b, what in [
    ("urlcheck", "lychee-default", "each at its defaults"),
    ("urlcheck-per-host-64", "lychee-relaxed", "both at 64 per host, no interval"),
    ("urlcheck", "lychee-relaxed", "urlcheck at its defaults, lychee relaxed"),
]:
    wall = verdict(a, b, "wall", 1 / 3)
    rss = verdict(a, b, "rss", 1 / 5)
    if wall is None:
        continue
    lines.append(
        f"- {what} ({a} vs {b}): wall {wall[0]:.3f}× (lychee takes {1 / wall[0]:,.1f}× as long) "
        f"{'✅ met' if wall[1] else '❌ missed'}; peak RSS {rss[0]:.3f}× (lychee {1 / rss[0]:,.1f}× as much) "
        f"{'✅ met' if rss[1] else '❌ missed'}")

lines += ["", "CPU use and pace of each (medians):", ""]
for name, r in results.items():
    lines.append(
        f"- {name}: {r['requests'] / r['wall']:,.0f} requests/s, "
        f"{r['cpu'] / r['requests'] * 1e6:,.0f} µs CPU a request, "
        f"CPU {r['cpu'] / r['wall']:.0%} of wall")

lines += ["", "Broken sets against the truth (every run):", ""]
for name, r in results.items():
    for i, run in enumerate(r["runs"], 1):
        missed = sorted(true_broken - run["broken"])
        extra = sorted(run["broken"] - true_broken)
        if not missed and not extra:
            text = f"exactly the {len(true_broken):,} missing URLs"
        else:
            def some(urls):
                return f" (e.g. {', '.join(urls[:3])})" if urls else ""
            text = (f"{len(missed):,} missing URLs not reported{some(missed)}, "
                    f"{len(extra):,} reported that exist{some(extra)}")
        lines.append(f"- {name} run {i}: exit {run['code']}, {run['count']}; {text}")

lines += [
    "",
    "How the tools differ in the work they do:",
    "",
    "- urlcheck requests each sitemap (the index and four), each page once (GET, its HTML "
    "read) and each other distinct URL once (GET). A records count above the distinct URLs "
    "is pages checked twice (see benches/README.md).",
    "- lychee reads each page URL as an input (GET) and checks it again where another page "
    "links to it; URLs that several pages name at once can be requested more than once "
    "before its in-run cache has their answer. Without `--include-verbatim` it skips "
    "`<script src>` (and links in `pre` and `code`): it would miss the missing scripts.",
    "- linkinator GETs each page given and sends HEAD for every link (a HEAD that fails is "
    "sent again as GET); its cache of URLs spans the whole run, so each URL is checked once. "
    "Its `--concurrency` bounds its tasks, not its connections: on the development machine "
    "`ss` counted about 7,700 connections to nginx at once during a run (nearly one per URL, "
    "held open), past what nginx's 8,192 `worker_connections` (benches/nginx.sh) leave idle; "
    "nginx then closes idle keep-alive connections to reuse them, and the requests sent on "
    "them fail (`other side closed`, status 0). With `worker_connections 65536` it held about "
    "20,000 at once and 20 requests failed on its own open-file limit (`EMFILE`).",
]
lines += ["", "Commands (the first run of each; `$(cat pages.txt)` stands for the "
          f"{truth['pages']:,} page URLs):", "", "```sh"]
pages_args = " ".join(f"{base}/p/{n:04d}.html" for n in range(1, truth["pages"] + 1))
for name, r in results.items():
    command = r["runs"][0]["command"].replace(pages_args, "$(cat pages.txt)")
    command = command.replace(os.path.dirname(work) + "/", "target/bench/")
    command = command.replace(os.path.dirname(os.path.dirname(os.path.dirname(work))) + "/", "")
    lines.append(command)
lines += ["```", "", "Versions: " + "; ".join(versions[k] for k in
                                               ("urlcheck", "lychee", "linkinator", "node")) + "."]

text = "\n".join(lines) + "\n"
with open(f"{out_dir}/sites.md", "w") as f:
    f.write(text)
print(text)
