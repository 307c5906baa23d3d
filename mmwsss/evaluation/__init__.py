from . import metrics  # noqa: F401  (registration)

__all__ = ['metrics']
