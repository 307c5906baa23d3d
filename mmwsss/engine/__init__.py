from . import hooks, optim_wrappers  # noqa: F401  (registration)

__all__ = ['hooks', 'optim_wrappers']
