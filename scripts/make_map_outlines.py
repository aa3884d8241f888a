#!/usr/bin/env python3
"""Writes src/export/map/outlines.svg: the country outlines of the HTML report's map.

Input: npm world-atlas 2.0.2 (Natural Earth 1:110m countries, public domain), as the npm
tarball (`npm pack world-atlas@2.0.2`, sha256 below) or its countries-110m.json.
Output: an SVG <g> fragment, one <path> per country that reaches the map's extent (Africa,
the Middle East and Europe: lon -26..76, lat -36..62), in plate carree at 10 px per degree
(x = (lon + 26) * 10, y = (62 - lat) * 10), coordinates rounded to 0.1 px. Deterministic.
The same projection is in src/export/map.rs (MAP_* constants); change both together.

  python3 scripts/make_map_outlines.py world-atlas-2.0.2.tgz > src/export/map/outlines.svg
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from world_atlas import arcs, load, polygons, ring  # noqa: E402

LON0, LON1, LAT0, LAT1, K = -26.0, 76.0, -36.0, 62.0, 10.0


def main():
    topo = load(sys.argv[1], "countries-110m.json")
    all_arcs = arcs(topo)
    out = []
    geoms = topo["objects"]["countries"]["geometries"]
    for g in sorted(geoms, key=lambda g: (g.get("properties", {}).get("name", ""), str(g.get("id")))):
        d = []
        for poly in polygons(g):
            for r in poly:
                pts = ring(all_arcs, r)
                if not any(LON0 <= lon <= LON1 and LAT0 <= lat <= LAT1 for lon, lat in pts):
                    continue
                xy = [(round((lon - LON0) * K, 1), round((LAT1 - lat) * K, 1)) for lon, lat in pts]
                d.append("M" + "L".join(f"{x:g},{y:g}" for x, y in xy) + "Z")
        if d:
            name = g.get("properties", {}).get("name", "").replace("&", "&amp;").replace("<", "")
            out.append(f'<path class="land" d="{"".join(d)}"><title>{name}</title></path>')
    sys.stdout.write("<!-- Natural Earth 1:110m (public domain) via npm world-atlas 2.0.2; made by scripts/make_map_outlines.py -->\n")
    sys.stdout.write("<g class=\"outlines\">" + "".join(out) + "</g>\n")


main()
