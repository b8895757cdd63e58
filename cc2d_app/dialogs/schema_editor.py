"""Choosing a new project's landmark schema: a shipped one, a typed list, or a CSV file.

The parsers raise :class:`~engine.errors.CC2DError` with messages the chooser shows inline.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cc2d_app.dialogs import file_dialogs
from cc2d_app.logic.palette import palette_colour
from engine.data.landmarks import read_landmark_csv
from engine.errors import CC2DError, ProjectError
from engine.project.schema import (
    DEFAULT_SCHEMA_ID,
    LandmarkDef,
    LandmarkSchema,
    load_schema,
    shipped_schema_ids,
)

ERROR_STYLE = "color: #e0443e;"  # readable on light and dark themes


def build_schema(defs: Iterable[LandmarkDef], name: str) -> LandmarkSchema:
    """A schema of ``defs`` with palette colours where none is given.

    Raises ProjectError for an empty list, duplicate names or duplicate abbreviations
    (names are checked here too, for a message without the schema's internal name).
    """
    defs = list(defs)
    if not defs:
        raise ProjectError("The list is empty: give at least one landmark.")
    names: dict[str, int] = {}
    abbreviations: dict[str, int] = {}
    for i, lm in enumerate(defs, start=1):
        first = names.setdefault(lm.name.casefold(), i)
        if first != i:
            raise ProjectError(
                f"Landmarks {first} and {i} are both called '{lm.name}'; names must be unique."
            )
        if lm.abbreviation:
            first = abbreviations.setdefault(lm.abbreviation.casefold(), i)
            if first != i:
                raise ProjectError(
                    f"Landmarks {first} and {i} both have the abbreviation "
                    f"'{lm.abbreviation}'; abbreviations must be unique."
                )
    coloured = tuple(
        lm if lm.color else LandmarkDef(lm.name, lm.abbreviation, palette_colour(i),
                                        lm.description)
        for i, lm in enumerate(defs)
    )
    return LandmarkSchema(name=name, landmarks=coloured)


def parse_landmark_lines(text: str, name: str = "Custom schema") -> LandmarkSchema:
    """One landmark per line, ``Name`` or ``Abbr, Name`` (``S, Sella``); blank lines skipped."""
    defs = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        abbr, sep, rest = line.partition(",")
        if sep:
            defs.append(LandmarkDef(rest.strip(), abbr.strip() or None))
        else:
            defs.append(LandmarkDef(line))
    return build_schema(defs, name)


def read_schema_csv(path: str | os.PathLike[str]) -> LandmarkSchema:
    """Landmarks from a CSV: a list with a ``name`` column (optionally ``abbreviation``/``abbr``,
    ``color``, ``description``), or a long landmark table ``image, landmark, name, x, y`` whose
    names are taken in landmark order."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [(h or "").strip().lower() for h in reader.fieldnames or []]
            rows = [
                {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()
                 if isinstance(v, str)}
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ProjectError(f"Cannot read {path.name}: {exc}") from None
    if {"image", "landmark", "x", "y"} <= set(header):
        return build_schema((LandmarkDef(n) for n in read_landmark_csv(path).names), path.stem)
    if "name" not in header:
        raise ProjectError(
            f"{path.name} has no 'name' column. Expected a header row with name (and "
            "optionally abbreviation, color, description), or a landmark table with "
            "image, landmark, name, x, y."
        )
    defs = []
    for line, row in enumerate(rows, start=2):
        if not any(row.values()):
            continue
        if not row.get("name"):
            raise ProjectError(f"{path.name} line {line}: the name is empty.")
        defs.append(LandmarkDef(
            row["name"],
            row.get("abbreviation") or row.get("abbr") or None,
            row.get("color") or None,
            row.get("description") or None,
        ))
    return build_schema(defs, path.stem)


def swatch(color: str | None) -> QIcon:
    """A small square of ``color`` for list rows."""
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(color or "#808080"))
    return QIcon(pixmap)


class SchemaChooser(QWidget):
    """Radio choice of the landmark schema, an editor for the chosen source and a preview."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, start_folder: str = ""):
        super().__init__(parent)
        self._start_folder = start_folder
        self._schema: LandmarkSchema | None = None
        self._problem: str | None = None
        self._csv_path: Path | None = None
        self._group = QButtonGroup(self)
        self._shipped: dict[QRadioButton, LandmarkSchema] = {}

        options = QVBoxLayout()
        for schema_id in shipped_schema_ids():
            schema = load_schema(schema_id)
            radio = QRadioButton(f"{schema.name}  ·  {len(schema)} landmarks")
            radio.setToolTip(schema.description)
            radio.setChecked(schema_id == DEFAULT_SCHEMA_ID)
            self._shipped[radio] = schema
            self._add_option(options, radio)
        self._custom = QRadioButton("Custom list")
        self._csv = QRadioButton("Import from CSV…")
        self._add_option(options, self._custom)
        self._add_option(options, self._csv)
        if not self._group.checkedButton():
            self._custom.setChecked(True)

        self._editor = QPlainTextEdit()
        self._editor.setObjectName("customLandmarks")
        self._editor.setPlaceholderText("One landmark per line:\nS, Sella\nN, Nasion\nMenton")
        self._editor.textChanged.connect(self._update)
        self._csv_button = QPushButton("Choose CSV file…")
        self._csv_button.setObjectName("chooseCsvButton")
        self._csv_button.clicked.connect(self._choose_csv)
        self._csv_label = QLabel("A header row with name (abbreviation, color, description "
                                 "optional), or a landmark table image, landmark, name, x, y.")
        self._csv_label.setWordWrap(True)
        csv_page = QWidget()
        csv_layout = QVBoxLayout(csv_page)
        csv_layout.setContentsMargins(0, 0, 0, 0)
        csv_layout.addWidget(self._csv_button)
        csv_layout.addWidget(self._csv_label)
        csv_layout.addStretch(1)
        self._about = QLabel()
        self._about.setObjectName("schemaDescription")
        self._about.setWordWrap(True)
        self._about.setAlignment(Qt.AlignmentFlag.AlignTop)
        self._pages = QStackedWidget()
        for page in (self._about, self._editor, csv_page):
            self._pages.addWidget(page)
        options.addSpacing(8)
        options.addWidget(self._pages, stretch=1)

        self._count = QLabel()
        self._count.setObjectName("landmarkCount")
        self._preview = QListWidget()
        self._preview.setObjectName("landmarkPreview")
        self._preview.setMinimumWidth(260)
        preview = QVBoxLayout()
        preview.addWidget(self._count)
        preview.addWidget(self._preview, stretch=1)
        self._error = QLabel()
        self._error.setObjectName("schemaError")
        self._error.setStyleSheet(ERROR_STYLE)
        self._error.setWordWrap(True)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(18)
        grid.addLayout(options, 0, 0)
        grid.addLayout(preview, 0, 1)
        grid.addWidget(self._error, 1, 0, 1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        self._group.buttonToggled.connect(lambda _button, on: on and self._update())
        self._update()

    def schema(self) -> LandmarkSchema | None:
        """The chosen schema, or None while the choice is not valid."""
        return self._schema

    def problem(self) -> str | None:
        """Why there is no valid schema yet, for display."""
        return self._problem

    def _add_option(self, layout: QVBoxLayout, radio: QRadioButton) -> None:
        self._group.addButton(radio)
        layout.addWidget(radio)

    def _choose_csv(self) -> None:
        path = file_dialogs.choose_file(self, "Import landmarks from CSV", self._start_folder,
                           "CSV files (*.csv);;All files (*)")
        if path:
            self._csv_path = Path(path)
            self._csv_label.setText(self._csv_path.name)
            self._csv_label.setToolTip(path)
            self._update()

    def _update(self) -> None:
        checked = self._group.checkedButton()
        self._pages.setCurrentIndex(
            1 if checked is self._custom else 2 if checked is self._csv else 0
        )
        schema: LandmarkSchema | None = None
        problem: str | None = None
        try:
            if checked is self._custom:
                schema = parse_landmark_lines(self._editor.toPlainText())
            elif checked is self._csv:
                if self._csv_path is None:
                    problem = "Choose a CSV file with the landmark names."
                else:
                    schema = read_schema_csv(self._csv_path)
            else:
                schema = self._shipped[checked]
                self._about.setText(schema.description)
        except CC2DError as exc:
            problem = str(exc)
        self._schema, self._problem = schema, problem
        # An untouched custom list is not an error yet: say what to do, not in red.
        quiet = checked is self._custom and not self._editor.toPlainText().strip()
        self._error.setText("" if quiet else problem or "")
        self._error.setVisible(bool(problem) and not quiet)
        self._show_preview(schema)
        self.changed.emit()

    def _show_preview(self, schema: LandmarkSchema | None) -> None:
        self._preview.clear()
        if schema is None:
            self._count.setText("No landmarks yet")
            return
        self._count.setText(f"{len(schema)} landmark{'s' if len(schema) != 1 else ''}")
        for i, lm in enumerate(schema.landmarks, start=1):
            label = f"{i}. {lm.abbreviation} — {lm.name}" if lm.abbreviation else f"{i}. {lm.name}"
            self._preview.addItem(label)
            item = self._preview.item(i - 1)
            item.setIcon(swatch(lm.color))
            if lm.description:
                item.setToolTip(lm.description)
