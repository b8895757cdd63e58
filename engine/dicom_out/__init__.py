"""DICOM objects out (ADR 0017): landmarks and measurements as a Structured Report
(TID 1500, made with highdicom), a Secondary Capture for a radiograph that is not a
DICOM, and the PDF report as an Encapsulated PDF, all filed under one study."""
