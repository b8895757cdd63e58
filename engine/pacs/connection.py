"""How to reach a PACS: its DICOMweb base URL, an optional user and password, TLS
verified unless switched off; and one place that turns the transport's failures into
messages a user can act on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from engine.errors import CC2DError

T = TypeVar("T")
TIMEOUT_S = 30.0


class PacsError(CC2DError):
    """The PACS could not be reached, refused, or answered with something unusable."""


class PacsRefused(PacsError):
    """The server understood the request and will not do it (an HTTP 4xx other than
    401, 403 or 404): e.g. an object it cannot store."""


@dataclass(frozen=True)
class Connection:
    url: str
    username: str = ""
    password: str = ""
    verify_tls: bool = True

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise PacsError(f"the PACS address must start with http:// or https://, got "
                            f"{self.url!r}")

    def session(self) -> Any:
        """A requests session with this user and TLS policy."""
        import requests

        session = requests.Session()
        session.verify = self.verify_tls
        if self.username:
            session.auth = (self.username, self.password)
        return session

    def client(self) -> Any:
        """A dicomweb-client DICOMwebClient on :meth:`session`."""
        from dicomweb_client.api import DICOMwebClient

        return DICOMwebClient(url=self.url.rstrip("/"), session=self.session())


def call(what: str, conn: Connection, fn: Callable[[], T]) -> T:
    """Run ``fn`` (a DICOMweb request); its failures become a PacsError saying ``what``
    failed and why, in words."""
    import requests

    try:
        return fn()
    except requests.exceptions.SSLError as exc:
        raise PacsError(f"{what}: the PACS at {conn.url} has a certificate that cannot be "
                        f"verified ({_short(exc)}); ask for its CA certificate rather than "
                        "switching verification off") from None
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError) as exc:
        if "broken" in str(exc).lower() or isinstance(
                exc, requests.exceptions.ChunkedEncodingError):
            raise PacsError(f"{what}: the connection to the PACS was cut mid-answer; "
                            f"nothing half-received was kept, trying again resumes "
                            f"({_short(exc)})") from None
        raise PacsError(f"{what}: cannot reach the PACS at {conn.url} (is it running, and "
                        f"the address right?): {_short(exc)}") from None
    except requests.exceptions.Timeout:
        raise PacsError(f"{what}: the PACS at {conn.url} did not answer in time") from None
    except requests.exceptions.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (401, 403):
            raise PacsError(f"{what}: the PACS refused the user name or password "
                            f"(HTTP {status})") from None
        if status == 404:
            raise PacsError(f"{what}: not on the PACS (HTTP 404); it may have been "
                            "deleted or moved") from None
        kind = PacsRefused if status is not None and 400 <= status < 500 else PacsError
        raise kind(f"{what}: the PACS answered HTTP {status}: {_short(exc)}") from None
    except (requests.exceptions.RequestException, ValueError) as exc:
        # dicomweb-client raises ValueError for a reply it cannot decode.
        raise PacsError(f"{what}: {_short(exc)}") from None


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:197] + "..."
