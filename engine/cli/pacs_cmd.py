"""``cc2d pacs configure|search|fetch|send``: a PACS over DICOMweb, headless (ADR 0018).
The address and user come from ``cc2d pacs configure`` (the user's own settings, never a
project); the password from ``$CC2D_PACS_PASSWORD`` or the private file it writes."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from engine.cli.common import cancel_on_interrupt
from engine.errors import CC2DError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("pacs", help="search, fetch from and send to a PACS (DICOMweb)")
    pacs = parser.add_subparsers(dest="pacs_command", required=True)
    p = pacs.add_parser("configure", help="store the PACS address and user (the password "
                                          "is asked for, or read from CC2D_PACS_PASSWORD)")
    p.add_argument("--url", required=True, help="DICOMweb base URL, e.g. "
                   "https://pacs.example/dicom-web")
    p.add_argument("--user", default="", help="user name (none: no authentication)")
    p.add_argument("--no-verify-tls", action="store_true",
                   help="accept any certificate (only for a test server)")
    p.set_defaults(func=_configure)
    p = pacs.add_parser("search", help="studies by patient, date, modality, description")
    p.add_argument("--patient", default="", help="part of the patient's name")
    p.add_argument("--patient-id", default="")
    p.add_argument("--date", default="", help="YYYYMMDD or FROM-TO (either may be empty)")
    p.add_argument("--modality", default="", help="e.g. DX, CR, PX")
    p.add_argument("--description", default="", help="part of the study description")
    p.set_defaults(func=_search)
    p = pacs.add_parser("fetch", help="a study's images into a folder (resumes; only "
                                      "images count)")
    p.add_argument("study", help="Study Instance UID (from `cc2d pacs search`)")
    p.add_argument("--out", type=Path, required=True, help="folder for the images")
    p.set_defaults(func=_fetch)
    p = pacs.add_parser("send", help="store DICOM files (e.g. an SR export) on the PACS")
    p.add_argument("files", type=Path, nargs="+")
    p.set_defaults(func=_send)


def _configure(args: argparse.Namespace) -> int:
    from engine.pacs.settings import PASSWORD_ENV, save

    password = None
    if args.user:
        password = os.environ.get(PASSWORD_ENV)
        if password is None:
            password = getpass.getpass(f"password of {args.user} on the PACS: ")
    path = save(args.url, args.user, password, not args.no_verify_tls)
    print(f"PACS settings saved in {path}" + (" (password in a file only you can read)"
                                               if password is not None else ""))
    return 0


def _search(args: argparse.Namespace) -> int:
    from engine.pacs.search import search_studies
    from engine.pacs.settings import load

    date_from, _, date_to = args.date.partition("-") if "-" in args.date else (
        args.date, "", args.date)
    studies = search_studies(load(), args.patient, args.patient_id, date_from, date_to,
                             args.modality, args.description)
    for s in studies:
        print(f"{s.uid}\t{s.date or '-'}\t{s.patient_name} ({s.patient_id})\t"
              f"{'/'.join(s.modalities) or '-'}\t{s.description}\t"
              f"{s.n_instances if s.n_instances is not None else '?'} object(s)")
    print(f"{len(studies)} study(ies)", file=sys.stderr)
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from engine.pacs.settings import load
    from engine.pacs.transfer import fetch_study

    with cancel_on_interrupt() as cancel:
        report = fetch_study(load(), args.study, args.out, _progress, cancel)
    print(f"{len(report.written)} image(s) fetched, {len(report.already_there)} already "
          f"there, {report.not_images} non-image object(s) left on the PACS → {args.out}")
    return 0


def _progress(done: int, total: int) -> None:
    print(f"fetch: {done}/{total}", file=sys.stderr, flush=True)


def _send(args: argparse.Namespace) -> int:
    from engine.pacs.settings import load
    from engine.pacs.transfer import send_files

    results = send_files(load(), args.files)
    for r in results:
        print(f"{'accepted' if r.accepted else 'REFUSED'}\t{r.path}" +
              (f"\t{r.reason}" if r.reason else ""))
    refused = sum(not r.accepted for r in results)
    if refused:
        raise CC2DError(f"{refused} of {len(results)} object(s) were not stored")
    return 0
