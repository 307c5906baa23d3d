import subprocess
import sys

from .conftest import REPO


def test_seg_side_registers_into_mmseg_without_importing_mmdet():
    # mmseg itself imports mmdet when present (mask2former_head, guarded by try/except), so block
    # mmdet entirely: the seg side must import and register with no mmdet at all
    code = ('import sys\n'
            'sys.modules["mmdet"] = None\n'
            'import mmwsss.seg\n'
            'from mmseg.registry import DATASETS, MODELS, TRANSFORMS\n'
            'assert DATASETS.get("WSSSVOCDataset") is not None\n'
            'assert DATASETS.get("SyntheticWSSSDataset") is not None\n'
            'assert TRANSFORMS.get("LoadWSSSAnnotations") is not None\n'
            'assert MODELS.get("WSSSTTAModel") is not None\n'
            'import mmseg.models, mmwsss.models\n'
            'print("ok")\n')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip().endswith('ok'), out.stderr[-2000:]


def test_version_mismatch_warns_not_asserts():
    code = ('import warnings, mmengine\n'
            'mmengine.__version__ = "0.0.1"\n'
            'with warnings.catch_warnings(record=True) as w:\n'
            '    warnings.simplefilter("always")\n'
            '    import mmwsss\n'
            'msgs = [str(x.message) for x in w]\n'
            'assert any("mmengine 0.10.7, found 0.0.1" in m for m in msgs), msgs\n'
            'print("ok")\n')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip().endswith('ok'), out.stderr[-2000:]
