"""The project store: a folder holding ``project.sqlite`` (schema, images, landmarks,
review state, training runs, edit log) and ``runs/``. No Qt here.

Typical use::

    with Project.create(folder) as project:
        report = project.add_images([image_folder])
        import_landmarks(project, "landmarks.csv")
        export_csv(project, "out.csv")
"""

from engine.project.coco import export_coco
from engine.project.export import export, export_csv, export_json
from engine.project.importer import import_landmarks
from engine.project.model import (
    AddReport,
    EditEntry,
    ImageCheck,
    ImageRecord,
    ImportReport,
    Landmark,
    LandmarkSource,
    ReviewStatus,
    Run,
    RunState,
    SkippedFile,
)
from engine.project.patient import PatientFields
from engine.project.schema import (
    LandmarkDef,
    LandmarkSchema,
    default_schema,
    load_schema,
    shipped_schemas_dir,
)
from engine.project.slicer import export_slicer
from engine.project.store import Project

__all__ = [
    "AddReport",
    "EditEntry",
    "ImageCheck",
    "ImageRecord",
    "ImportReport",
    "Landmark",
    "LandmarkDef",
    "LandmarkSchema",
    "LandmarkSource",
    "PatientFields",
    "Project",
    "ReviewStatus",
    "Run",
    "RunState",
    "SkippedFile",
    "default_schema",
    "export",
    "export_coco",
    "export_csv",
    "export_json",
    "export_slicer",
    "import_landmarks",
    "load_schema",
    "shipped_schemas_dir",
]
