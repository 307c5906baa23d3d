"""Inference entry points (see ``mmwsss.stages`` for the offline pseudo-label stages)."""
__all__ = []
