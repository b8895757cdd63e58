"""The real Orthanc these tests talk to (tests/orthanc_server.py)."""

from tests.orthanc_server import orthanc  # noqa: F401 (a fixture)
