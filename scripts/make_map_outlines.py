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
import hashlib, json, sys, tarfile

SHA256 = "032e7765f2ce00edaeafec23ff22bc3b77e42987c257da944cc585b452c05b97"
LON0, LON1, LAT0, LAT1, K = -26.0, 76.0, -36.0, 62.0, 10.0


def load(path):
    if path.endswith(".tgz"):
        data = open(path, "rb").read()
        got = hashlib.sha256(data).hexdigest()
        if got != SHA256:
            sys.exit(f"{path}: sha256 {got}, expected {SHA256} (world-atlas 2.0.2)")
        with tarfile.open(path) as t:
            return json.load(t.extractfile("package/countries-110m.json"))
    return json.load(open(path))


def main():
    topo = load(sys.argv[1])
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)

    def ring(idx):
        out = []
        for i in idx:
            pts = arcs[i] if i >= 0 else arcs[~i][::-1]
            out.extend(pts[1:] if out else pts)
        return out

    out = []
    geoms = topo["objects"]["countries"]["geometries"]
    for g in sorted(geoms, key=lambda g: (g.get("properties", {}).get("name", ""), str(g.get("id")))):
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]] if g["type"] == "Polygon" else []
        d = []
        for poly in polys:
            for r in poly:
                pts = ring(r)
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
