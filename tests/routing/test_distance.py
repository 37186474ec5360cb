"""Distance backends: straight lines against known city pairs, the OSRM client against a fake table server."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from routing.distance import UNREACHABLE, RoadNetwork, RoutingUnavailable, StraightLine, backend_for, haversine_m
from routing.problem import Place

NEW_YORK = Place(40.7128, -74.0060)
LOS_ANGELES = Place(34.0522, -118.2437)
LONDON = Place(51.5074, -0.1278)
PARIS = Place(48.8566, 2.3522)
AUSTIN = Place(30.2672, -97.7431)
DALLAS = Place(32.7767, -96.7970)


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [(NEW_YORK, LOS_ANGELES, 3936), (LONDON, PARIS, 344), (AUSTIN, DALLAS, 292)],
)
def test_great_circle_matches_known_city_pairs(a, b, km):
    assert haversine_m(a, b) / 1000 == pytest.approx(km, rel=0.01)
    assert StraightLine(circuity=1.0).distance_m(a, b) / 1000 == pytest.approx(km, rel=0.01)


def test_straight_line_matrix_applies_circuity_and_speed():
    backend = StraightLine(circuity=1.3, speed_kmh=36.0)
    metres, seconds = backend.matrix([AUSTIN, DALLAS, AUSTIN])
    assert metres[0][1] == metres[1][0] == round(haversine_m(AUSTIN, DALLAS) * 1.3)
    assert metres[0][2] == 0 and all(metres[i][i] == 0 for i in range(3))
    # 36 km/h is 10 m/s.
    assert seconds[0][1] == round(metres[0][1] / 10)


def test_backend_for_picks_roads_only_when_configured():
    assert isinstance(backend_for(None), StraightLine)
    assert isinstance(backend_for(""), StraightLine)
    roads = backend_for("http://osrm.internal:5000/")
    assert isinstance(roads, RoadNetwork) and roads.url == "http://osrm.internal:5000"


class FakeOsrm(BaseHTTPRequestHandler):
    """Answers /table/v1/driving like OSRM: metres = 100,000 x |lat difference|, 10 m/s, 'far' is unreachable."""

    requests: list[str] = []
    status = 200
    code = "Ok"

    def do_GET(self):
        type(self).requests.append(self.path)
        url = urlsplit(self.path)  # not urlparse, which cuts ";..." off the path
        prefix = "/table/v1/driving/"
        if self.status != 200 or not url.path.startswith(prefix):
            self.send_error(self.status if self.status != 200 else 404)
            return
        coords = [tuple(map(float, pair.split(","))) for pair in url.path[len(prefix) :].split(";")]
        query = parse_qs(url.query)
        assert query["annotations"] == ["distance,duration"]
        sources = [int(i) for i in query["sources"][0].split(";")] if "sources" in query else range(len(coords))
        targets = (
            [int(i) for i in query["destinations"][0].split(";")] if "destinations" in query else range(len(coords))
        )

        def metres(i, j):
            # Longitude 50 marks an island with no road to anywhere else.
            if i != j and 50.0 in (coords[i][0], coords[j][0]):
                return None
            return abs(coords[i][1] - coords[j][1]) * 100_000 + 0.4

        distances = [[metres(i, j) for j in targets] for i in sources]
        durations = [[None if d is None else d / 10 for d in row] for row in distances]
        body = json.dumps({"code": self.code, "distances": distances, "durations": durations}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        """Keep the test output quiet."""


@pytest.fixture
def osrm():
    """A fake OSRM on a free loopback port, for one test."""
    FakeOsrm.requests, FakeOsrm.status, FakeOsrm.code = [], 200, "Ok"
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsrm)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


PLACES = [Place(30.0 + k / 100, -97.7 - k / 1000) for k in range(5)]


def expected(places):
    """What FakeOsrm answers, computed here from the same rule."""
    metres = [[0 if a == b else round(abs(a.lat - b.lat) * 100_000 + 0.4) for b in places] for a in places]
    return metres, [[round((abs(a.lat - b.lat) * 100_000 + 0.4) / 10) if a != b else 0 for b in places] for a in places]


def test_road_network_asks_one_table_in_lng_lat_order(osrm):
    metres, seconds = RoadNetwork(osrm).matrix(PLACES[:3])
    assert FakeOsrm.requests == [
        "/table/v1/driving/-97.700000,30.000000;-97.701000,30.010000;-97.702000,30.020000?annotations=distance,duration"
    ]
    assert (metres, seconds) == expected(PLACES[:3])
    assert metres[0][1] == 1000 and seconds[0][1] == 100


def test_road_network_splits_big_tables_into_blocks(osrm):
    metres, seconds = RoadNetwork(osrm, max_table_size=4).matrix(PLACES)
    assert (metres, seconds) == expected(PLACES)
    assert len(FakeOsrm.requests) == 9  # 3 x 3 blocks of at most 2 sources x 2 destinations
    assert all(path.split("?")[0].count(";") <= 3 for path in FakeOsrm.requests)


def test_road_network_turns_null_into_unreachable(osrm):
    island = Place(30.0, 50.0)
    metres, seconds = RoadNetwork(osrm).matrix([PLACES[0], island])
    assert metres[0][1] == metres[1][0] == seconds[0][1] == UNREACHABLE
    assert metres[1][1] == 0


@pytest.mark.parametrize(("status", "code", "message"), [(500, "Ok", "HTTP 500"), (200, "TooBig", "TooBig")])
def test_road_network_errors_become_routing_unavailable(osrm, status, code, message):
    FakeOsrm.status, FakeOsrm.code = status, code
    with pytest.raises(RoutingUnavailable, match=message):
        RoadNetwork(osrm).matrix(PLACES[:2])


def test_closed_port_is_routing_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens there any more, so the connection is refused at once.
    with pytest.raises(RoutingUnavailable, match="unreachable"):
        RoadNetwork(f"http://127.0.0.1:{port}", timeout_s=2).matrix(PLACES[:2])
