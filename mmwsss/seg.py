"""Registers every segmentation-side component into the mmseg registries.

Configs say ``custom_imports = dict(imports=['mmwsss.seg'], allow_failed_imports=False)``.
This module never imports mmdet.
"""
import mmwsss  # noqa: F401  (version checks)
from . import datasets, engine, evaluation, models  # noqa: F401

__all__ = ['datasets', 'engine', 'evaluation', 'models']
