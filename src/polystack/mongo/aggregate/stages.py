"""The whole pipeline language: importing this module registers every stage (``pipeline.py``
holds the basic ones, the others live by concept) and installs the pipeline form of updates in
``writeops``.  Commands import the pipeline from here."""

from __future__ import annotations

from .. import writeops
from . import group, lookup, output, sources, window  # noqa: F401  (registration)
from .pipeline import (
    PipelineContext,
    apply_pipeline_update,
    check_pipeline,
    collection_source,
    compile_pipeline,
    run_stages,
)

__all__ = [
    "PipelineContext",
    "check_pipeline",
    "collection_source",
    "compile_pipeline",
    "run_stages",
]

if not writeops.PIPELINE_UPDATE:
    writeops.PIPELINE_UPDATE.append(apply_pipeline_update)
