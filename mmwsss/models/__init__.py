from . import backbones, heads, losses, necks, segmentors, utils  # noqa: F401  (registration)

__all__ = ['backbones', 'heads', 'losses', 'necks', 'segmentors', 'utils']
