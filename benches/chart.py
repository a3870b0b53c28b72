#!/usr/bin/env python3
"""Draw the workers sweep of benches/measure.py as an SVG line chart, with
the standard library only: log2 x-axis (workers), log10 y-axis (checks per
second), a line for instant URLs, one for 50 ms URLs and the 50 ms ideal
(workers / 0.05 s) dashed.

measure.py calls render(); to redraw from saved numbers:
    python3 benches/chart.py benches/results.json benches/sweep.svg
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 720, 420
LEFT, RIGHT, TOP, BOTTOM = 78, 24, 52, 58  # plot margins
FONT = "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
INSTANT, SLOW, IDEAL, GRID, TEXT = "#1f77b4", "#e8710a", "#9aa0a6", "#e6e6e6", "#222"
SLOW_S = 0.05


def _label(v: float) -> str:
    if v >= 1_000_000:
        return f"{v / 1_000_000:g}M"
    if v >= 1000:
        return f"{v / 1000:g}k"
    return f"{v:g}"


def _series(points: list[dict], kind: str) -> list[tuple[int, float]]:
    return [(p["workers"], p[kind]["median_checks_per_s"])
            for p in points if kind in p and "median_checks_per_s" in p[kind]]


def render(points: list[dict], cores: int, path: Path) -> None:
    instant, slow = _series(points, "instant"), _series(points, "slow")
    workers = [p["workers"] for p in points] or [1]
    ideal = [(w, w / SLOW_S) for w in workers]
    values = [v for _, v in instant + slow + ideal if v > 0] or [1, 10]

    x0, x1 = math.log2(min(workers)), math.log2(max(workers))
    if x1 == x0:
        x1 = x0 + 1
    y0 = math.floor(math.log10(min(values)))
    y1 = math.ceil(math.log10(max(values)))
    if y1 == y0:
        y1 = y0 + 1
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(w: float) -> float:
        return LEFT + (math.log2(w) - x0) / (x1 - x0) * pw

    def sy(v: float) -> float:
        return TOP + ph - (math.log10(v) - y0) / (y1 - y0) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT}" font-size="12" fill="{TEXT}">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600">'
        f'urlcheck throughput vs workers ({cores}-core machine, local nginx)</text>',
    ]
    # Grid and tick labels: every decade on y (with 2x and 5x minor lines),
    # every power of two on x.
    for d in range(y0, y1 + 1):
        for m in (1, 2, 5):
            v = m * 10 ** d
            if math.log10(v) > y1 + 1e-9:
                continue
            y = sy(v)
            major = m == 1
            out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y:.1f}" y2="{y:.1f}" '
                       f'stroke="{GRID}" stroke-width="{1 if major else 0.6}"/>')
            if major or (y1 - y0) <= 2:
                out.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" '
                           f'fill="{"#444" if major else "#888"}">{_label(v)}</text>')
    for w in workers:
        x = sx(w)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + ph}" '
                   f'stroke="{GRID}"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + ph + 18}" text-anchor="middle" '
                   f'fill="#444">{w}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" '
               f'stroke="#999"/>')
    # Axis titles.
    out.append(f'<text x="{LEFT + pw / 2}" y="{HEIGHT - 14}" text-anchor="middle" '
               f'font-size="13">workers (-w), log scale</text>')
    out.append(f'<text transform="translate(20 {TOP + ph / 2}) rotate(-90)" '
               f'text-anchor="middle" font-size="13">checks per second, log scale</text>')

    def line(series, color, dash="", dots=True, name=""):
        if not series:
            return
        pts = " ".join(f"{sx(w):.1f},{sy(v):.1f}" for w, v in series if v > 0)
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" '
                   f'stroke-width="{1.5 if dash else 2.2}"{extra}/>')
        if dots:
            for w, v in series:
                out.append(f'<circle cx="{sx(w):.1f}" cy="{sy(v):.1f}" r="3.5" fill="{color}">'
                           f'<title>{escape(name)}: {w} workers, {v:,.0f} checks/s</title>'
                           f'</circle>')

    line(ideal, IDEAL, dash="5 4", dots=False)
    line(instant, INSTANT, name="instant")
    line(slow, SLOW, name="50 ms")

    # Legend, in the corner of the plot that the lines cross least.
    entries = [(INSTANT, "", "instant 200"), (SLOW, "", "50 ms 200"),
               (IDEAL, "5 4", "50 ms ideal: workers / 0.05 s")]
    bw, bh = 218, len(entries) * 18 + 6
    corners = [(LEFT + pw - bw - 10, TOP + ph - bh - 10), (LEFT + 10, TOP + 10),
               (LEFT + pw - bw - 10, TOP + 10), (LEFT + 10, TOP + ph - bh - 10)]

    def crossings(corner):
        bx, by = corner
        hits = 0
        for series in (instant, slow, ideal):
            pts = [(sx(w), sy(v)) for w, v in series if v > 0]
            for (ax, ay), (cx, cy) in zip(pts, pts[1:]):
                for t in range(21):
                    x, y = ax + (cx - ax) * t / 20, ay + (cy - ay) * t / 20
                    hits += bx - 6 <= x <= bx + bw + 6 and by - 6 <= y <= by + bh + 6
        return hits

    bx, by = min(corners, key=crossings)
    lx, ly = bx + 8, by + 12
    out.append(f'<rect x="{bx}" y="{by}" width="{bw}" height="{bh}" '
               f'fill="#fff" fill-opacity="0.9" stroke="#ccc"/>')
    for i, (color, dash, text) in enumerate(entries):
        y = ly + i * 18
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{lx}" x2="{lx + 26}" y1="{y - 4}" y2="{y - 4}" stroke="{color}" '
                   f'stroke-width="{1.5 if dash else 2.2}"{extra}/>')
        out.append(f'<text x="{lx + 34}" y="{y}">{escape(text)}</text>')
    out.append("</svg>")
    Path(path).write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: chart.py RESULTS.json OUT.svg")
    data = json.loads(Path(sys.argv[1]).read_text())
    render(data["sweep"]["points"], data["machine"]["nproc"], Path(sys.argv[2]))
