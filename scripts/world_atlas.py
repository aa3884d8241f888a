"""Reading npm world-atlas 2.0.2 (Natural Earth, public domain): its tarball, checked by sha256,
and TopoJSON arcs decoded into rings of (lon, lat). Shared by make_map_outlines.py and
country_points.py."""
import hashlib, json, sys, tarfile

SHA256 = "032e7765f2ce00edaeafec23ff22bc3b77e42987c257da944cc585b452c05b97"


def load(path, member):
    """The TopoJSON `member` (e.g. countries-110m.json) of the tarball, or a JSON file itself."""
    if not path.endswith(".tgz"):
        return json.load(open(path))
    data = open(path, "rb").read()
    got = hashlib.sha256(data).hexdigest()
    if got != SHA256:
        sys.exit(f"{path}: sha256 {got}, expected {SHA256} (world-atlas 2.0.2)")
    with tarfile.open(path) as t:
        return json.load(t.extractfile(f"package/{member}"))


def arcs(topo):
    """The arcs, delta-decoded and un-quantised: lists of (lon, lat)."""
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        out.append(pts)
    return out


def ring(all_arcs, idx):
    """A ring from arc indices (~i = arc i reversed), shared end points written once."""
    out = []
    for i in idx:
        pts = all_arcs[i] if i >= 0 else all_arcs[~i][::-1]
        out.extend(pts[1:] if out else pts)
    return out


def polygons(geometry):
    """The polygons (lists of rings of arc indices) of a Polygon or MultiPolygon geometry."""
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    return []
