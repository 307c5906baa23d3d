"""mmwsss: weakly-supervised semantic and instance segmentation for OpenMMLab.

Importing ``mmwsss`` only checks versions (warnings, never asserts); it changes nothing in mmengine, mmseg
or torch. ``import mmwsss.seg`` registers the segmentation components into the mmseg registries;
``import mmwsss.det`` registers the instance components into mmdet's. The stack compatibility patches
(:func:`mmwsss.utils.apply_patches`: runner checkpoints under torch's ``weights_only`` loading, atomic
checkpoints, CPU distributed runs, missing pretrained files as warnings) are opt-in: the tools apply them, a
script or notebook that loads runner checkpoints calls ``apply_patches()`` first.
"""
import warnings

from .version import __version__, version_info

__all__ = ['__version__', 'version_info']

_EXPECTED = {'torch': '2.13', 'mmcv': '2.1.0', 'mmengine': '0.10.7'}


def _check_versions() -> None:
    import importlib
    for name, expected in _EXPECTED.items():
        try:
            module = importlib.import_module(name)
        except ImportError:
            warnings.warn(f'mmwsss needs {name} {expected}; it is not installed (run tools/install.sh).')
            continue
        version = getattr(module, '__version__', '')
        if not str(version).startswith(expected):
            warnings.warn(f'mmwsss is tested with {name} {expected}, found {version}.')


_check_versions()
