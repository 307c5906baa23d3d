"""Experiment runner: runs a suite of configs (subprocesses) and writes the comparison report."""
from .runner import compare_suite, load_suite, run_entry, run_suite, write_report

__all__ = ['load_suite', 'run_entry', 'run_suite', 'write_report', 'compare_suite']
