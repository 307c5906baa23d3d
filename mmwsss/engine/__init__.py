from . import hooks  # noqa: F401  (registration)

__all__ = ['hooks']
