"""Resumable tools tie their output folder to the inputs that made it (no silent reuse of another run's files)."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from mmwsss.utils import RUN_STAMP, claim_output_dir, file_identity, read_run_stamp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _touch(path, data=b'x'):
    with open(path, 'wb') as f:
        f.write(data)


def test_same_stamp_resumes_other_stamp_refuses(tmp_path):
    out = str(tmp_path / 'masks')
    assert claim_output_dir(out, dict(checkpoint='a.pth', scales=(0.7, 1.0)), resume=True, suffix='.png') == 0
    _touch(osp.join(out, 'i0.png'))
    # the same inputs (tuples read back as lists) resume and keep the file
    assert claim_output_dir(out, dict(checkpoint='a.pth', scales=[0.7, 1.0]), resume=True, suffix='.png') == 0
    assert osp.isfile(osp.join(out, 'i0.png'))
    with pytest.raises(ValueError, match=r"masks: holds outputs of another run \(differs in \['checkpoint'\]"):
        claim_output_dir(out, dict(checkpoint='b.pth', scales=[0.7, 1.0]), resume=True, suffix='.png')
    # --no-resume: the old outputs go, the new stamp is recorded, and a later resume matches it
    assert claim_output_dir(out, dict(checkpoint='b.pth', scales=[0.7, 1.0]), resume=False, suffix='.png') == 1
    assert not osp.exists(osp.join(out, 'i0.png'))
    assert read_run_stamp(out) == dict(checkpoint='b.pth', scales=[0.7, 1.0])
    claim_output_dir(out, dict(checkpoint='b.pth', scales=[0.7, 1.0]), resume=True, suffix='.png')


def test_unstamped_outputs_are_not_resumed(tmp_path):
    out = tmp_path / 'old'
    out.mkdir()
    _touch(out / 'a.npy')
    _touch(out / 'notes.txt')
    with pytest.raises(ValueError, match=f'old: holds 1 .npy file\\(s\\) without a {RUN_STAMP}'):
        claim_output_dir(str(out), dict(k=1), resume=True, suffix='.npy')
    assert read_run_stamp(str(out)) == str(out)  # no stamp: the folder itself identifies it
    # other files are not outputs: an empty folder apart from them is claimed
    (out / 'a.npy').unlink()
    claim_output_dir(str(out), dict(k=1), resume=True, suffix='.npy')
    assert json.loads((out / RUN_STAMP).read_text()) == dict(k=1)


def test_file_identity_changes_with_the_file(tmp_path):
    p = tmp_path / 'iter_10.pth'
    _touch(p, b'abc')
    a = file_identity(p)
    assert a['path'] == str(p) and a['size'] == 3
    os.utime(p, ns=(a['mtime_ns'] + 10**9, a['mtime_ns'] + 10**9))
    assert file_identity(p) != a
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        file_identity(tmp_path / 'missing.pth')


def test_estimate_masks_tool_refuses_masks_of_another_checkpoint(tmp_path):
    """The failure this guards against: a re-trained initial model whose masks were silently the old ones."""
    from mmwsss.datasets.synthetic import generate_synthetic_dataset
    root = str(tmp_path / 'syn')
    generate_synthetic_dataset(root, image_size=64, num_train=3, num_val=1, num_web_per_class=1, num_ood=1,
                               verbose=False)
    cfg = osp.join(ROOT, 'configs/wsscoseg/wsscoseg-init_r18-d8_1xb8-4k_synthetic-web-112x112.py')
    sys.path.insert(0, ROOT)
    from mmseg.apis import init_model
    torch.manual_seed(0)
    model = init_model(cfg, device='cpu')
    ck = []
    for k in range(2):
        ck.append(str(tmp_path / f'ck{k}.pth'))
        torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=dict(classes=[str(i) for i in range(7)]))),
                   ck[-1])
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    out = str(tmp_path / 'est')

    def run(ckpt, *extra):
        return subprocess.run([sys.executable, osp.join(ROOT, 'tools/wsscoseg/estimate_masks.py'), cfg, ckpt,
                               '--data-root', root, '--out-dir', out, *extra], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    r = run(ck[0])
    assert r.returncode == 0, r.stderr[-2000:]
    assert len([f for f in os.listdir(out) if f.endswith('.png')]) == 3
    assert run(ck[0]).returncode == 0  # resumed: same checkpoint
    r = run(ck[1])
    assert r.returncode != 0 and 'holds outputs of another run' in r.stderr and "['checkpoint']" in r.stderr
    r = run(ck[1], '--no-resume')
    assert r.returncode == 0, r.stderr[-2000:]
    assert read_run_stamp(out)['checkpoint']['path'] == ck[1]
    masks = sorted(f for f in os.listdir(out) if f.endswith('.png'))
    assert len(masks) == 3 and np.asarray(Image.open(osp.join(out, masks[0]))).shape == (64, 64)
