"""Cephalometric (and other) analyses: measurements defined as data over landmark numbers,
their classes, and whether a class could flip within the landmarks' expected error."""

from engine.analysis.analysis import ASSUMED_MM_PER_PX, Analysis
from engine.analysis.loader import analysis_for_schema, load_analysis, shipped_analysis_ids
from engine.analysis.model import AnalysisError, ClassRange, Measurement, MeasurementResult

__all__ = ["ASSUMED_MM_PER_PX", "Analysis", "AnalysisError", "ClassRange", "Measurement",
           "MeasurementResult", "analysis_for_schema", "load_analysis", "shipped_analysis_ids"]
