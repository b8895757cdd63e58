"""Every shipped analysis on one constructed extended cephalogram (face right, y down,
0.1 mm per pixel), against values worked out by hand from the construction: the
Frankfort horizontal is horizontal and the facial plane N-Pog vertical, so most values
are plain differences of directions or x offsets. The mirrored image gives the same."""

import math

import numpy as np
import pytest

from engine.analysis import load_analysis
from engine.project.schema import load_schema

SPACING = 0.1
PTS = {"S": (100, 300), "N": (800, 300), "Or": (700, 400), "Po": (100, 400), "A": (830, 700),
       "B": (790, 950), "Pog": (800, 1100), "Me": (760, 1150), "Gn": (790, 1130),
       "Go": (250, 1000), "LIT": (830, 830), "UIT": (850, 820), "UL": (900, 780),
       "LL": (880, 900), "Sn": (900, 650), "Pog'": (880, 1150), "PNS": (450, 640),
       "ANS": (850, 620), "Ar": (280, 600), "UIA": (760, 600), "LIA": (700, 1000),
       "Mo": (600, 850), "Co": (300, 450), "Ba": (200, 750), "Pt": (450, 550),
       "Xi": (400, 800), "Pm": (795, 1050), "Prn": (950, 580)}


def d(p, q):
    """Direction of p→q in degrees, clockwise on screen from +x."""
    (x0, y0), (x1, y1) = PTS[p], PTS[q]
    return math.degrees(math.atan2(y1 - y0, x1 - x0))


def between(a, b):
    return abs((b - a + 180) % 360 - 180)


def at_vertex(p, v, q):
    return between(d(v, p), d(v, q))


def length_mm(p, q):
    return math.dist(PTS[p], PTS[q]) * SPACING


def ahead_of(p, c, e):
    """How far p lies in front of the (near vertical, downward) line c→e, in mm: its x
    offset from the line at p's height, times the cosine of the line's tilt."""
    (cx, cy), (ex, ey), (px, py) = PTS[c], PTS[e], PTS[p]
    tilt = math.atan((ex - cx) / (ey - cy))
    return (px - (cx + (py - cy) * math.tan(tilt))) * math.cos(tilt) * SPACING


OCC_DIR = math.degrees(math.atan2(825 - 850, 840 - 600))   # Mo → the incisor overlap (840, 825)
ab_x, ab_y = 830 - 790, 700 - 950
WITS = (ab_x * math.cos(math.radians(OCC_DIR)) + ab_y * math.sin(math.radians(OCC_DIR))) * SPACING
INTERINCISAL = between(d("UIT", "UIA"), d("LIT", "LIA"))

EXPECTED = {
    "steiner": {"SNA": at_vertex("S", "N", "A"), "SNB": at_vertex("S", "N", "B"),
                "ANB": at_vertex("S", "N", "A") - at_vertex("S", "N", "B"),
                "SN_GoGn": d("Go", "Gn"), "SN_Occ": -OCC_DIR,
                "U1_NA_deg": between(d("N", "A"), d("UIA", "UIT")),
                "U1_NA_mm": ahead_of("UIT", "N", "A"),
                "L1_NB_deg": between(d("N", "B"), d("LIA", "LIT")),
                "L1_NB_mm": ahead_of("LIT", "N", "B"), "Interincisal": INTERINCISAL},
    "downs": {"Facial": 90.0, "Convexity": 2 * math.degrees(math.atan(30 / 400)),
              "AB_plane": 90 - d("A", "B"), "MP_FH": d("Go", "Me"), "Y_axis": d("S", "Gn"),
              "Occ_FH": -OCC_DIR, "Interincisal": INTERINCISAL,
              "L1_MP": between(d("Me", "Go"), d("LIA", "LIT")),
              "U1_APog": ahead_of("UIT", "A", "Pog")},
    "mcnamara": {"A_Nperp": 3.0, "Pog_Nperp": 0.0, "Co_A": length_mm("Co", "A"),
                 "Co_Gn": length_mm("Co", "Gn"),
                 "MMD": length_mm("Co", "Gn") - length_mm("Co", "A"),
                 "LAFH": length_mm("ANS", "Me"), "MP_FH": d("Go", "Me")},
    "wits": {"AO_BO": WITS},
    "bjork_jarabak": {"Saddle": at_vertex("N", "S", "Ar"), "Articular": at_vertex("S", "Ar", "Go"),
                      "Gonial": at_vertex("Ar", "Go", "Me"),
                      "Polygon": at_vertex("N", "S", "Ar") + at_vertex("S", "Ar", "Go")
                      + at_vertex("Ar", "Go", "Me"),
                      "S_N": 70.0, "S_Ar": length_mm("S", "Ar"), "Ar_Go": length_mm("Ar", "Go"),
                      "Go_Me": length_mm("Go", "Me"),
                      "Jarabak": 100 * length_mm("S", "Go") / length_mm("N", "Me")},
    "tweed": {"FMA": d("Go", "Me"), "IMPA": between(d("Me", "Go"), d("LIA", "LIT")),
              "FMIA": between(180.0, d("LIT", "LIA"))},
    "ricketts": {"Facial_axis": between(d("N", "Ba"), d("Pt", "Gn")), "Facial_depth": 90.0,
                 "MP_FH": d("Go", "Me"), "LFH": at_vertex("ANS", "Xi", "Pm"), "Convexity": 3.0,
                 "L1_APog_mm": ahead_of("LIT", "A", "Pog"),
                 "L1_APog_deg": between(d("A", "Pog"), d("LIA", "LIT")),
                 "LL_Eline": ahead_of("LL", "Prn", "Pog'")},
}


@pytest.fixture(scope="module")
def points():
    schema = load_schema("lateral_ceph_extended")
    codes = [schema.label(i) for i in range(len(schema))]
    return codes, np.array([PTS[c] for c in codes], dtype=float)


@pytest.mark.parametrize("analysis_id", sorted(EXPECTED))
@pytest.mark.parametrize("flip", [False, True], ids=["face right", "face left"])
def test_each_shipped_analysis_by_hand(points, analysis_id, flip):
    codes, pts = points
    if flip:
        pts = pts * np.array([-1.0, 1.0]) + np.array([2000.0, 0.0])
    bound = load_analysis(analysis_id).bind(codes)
    assert bound.not_computable == ()
    got = {r.id: r.value for r in bound.measure(pts, SPACING, 0.0)}
    assert got == pytest.approx(EXPECTED[analysis_id], abs=1e-6)


def test_tweeds_triangle_adds_to_180(points):
    e = EXPECTED["tweed"]
    assert e["FMA"] + e["IMPA"] + e["FMIA"] == pytest.approx(180.0)

