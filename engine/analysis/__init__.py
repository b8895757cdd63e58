"""Cephalometric (and other) analyses: measurements defined as data over landmark codes,
their norms and classes, and how likely each class is to be another given how far off
each landmark may be."""

from engine.analysis.analysis import Analysis
from engine.analysis.bound import ASSUMED_MM_PER_PX, BoundAnalysis
from engine.analysis.library import (
    Library,
    analyses_for_schema,
    library,
    load_analysis,
    user_analyses_dir,
)
from engine.analysis.model import AnalysisError, ClassRange, Measurement, MeasurementResult, Norm

__all__ = ["ASSUMED_MM_PER_PX", "Analysis", "AnalysisError", "BoundAnalysis", "ClassRange",
           "Library", "Measurement", "MeasurementResult", "Norm", "analyses_for_schema",
           "library", "load_analysis", "user_analyses_dir"]
