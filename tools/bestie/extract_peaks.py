"""Extract PAM peaks into BESTIE point files (BESTIE classifier.py): ``<out_dir>/<id>.txt`` lines ``x y cls conf``.

Usage:
    python tools/bestie/extract_peaks.py CONFIG CHECKPOINT [--data-root DIR] [--out-dir DIR] [--no-resume]

The config is a PAM config (``configs/bestie/pam_*.py``) with a ``peak_cfg`` dict (split,
cls_label_file, input_size, kernel, topk, conf_thresh, out_dir relative to data_root). Each file is written
atomically. A killed run resumes: finished files are skipped, but only when the folder's ``.run_stamp.json``
names the same checkpoint and peak settings; peaks of another PAM are refused (``--no-resume`` replaces them).
When every file is written, ``<out_dir>/peaks_done.json`` records the counts (the comparison suite's marker).
"""
import argparse
import json
import os
import os.path as osp
import sys

import torch
from mmengine.config import DictAction

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
DONE = 'peaks_done.json'


# peak_cfg keys this tool reads (a config may leave any of them out)
PEAK_KEYS = ('split', 'out_dir', 'cls_label_file', 'input_size', 'kernel', 'topk', 'conf_thresh')


def parse_args():
    p = argparse.ArgumentParser(description='PAM peak extraction (BESTIE point files)')
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--data-root', default=None, help='default: train_dataloader.dataset.data_root')
    p.add_argument('--out-dir', default=None, help='default: <data_root>/<peak_cfg.out_dir>')
    p.add_argument('--split', default=None)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={}, help='key=value overrides of peak_cfg')
    p.add_argument('--no-resume', action='store_true', help='delete the folder\'s point files and recompute them')
    p.add_argument('--allow-partial', action='store_true',
                   help='load a checkpoint whose keys/shapes differ from the model (matching weights only)')
    return p.parse_args()


def main():
    args = parse_args()
    from mmwsss.utils import apply_patches
    apply_patches()  # opt in: runner checkpoints under torch's weights_only loading, ...
    from mmwsss.utils.config import load_config
    from mmengine.registry import init_default_scope

    import mmwsss.det  # noqa: F401  (registration)
    from mmdet.registry import MODELS
    from mmwsss.datasets.splits import read_split
    from mmwsss.det.datasets.bestie_dataset import read_cls_labels
    from mmwsss.det.stages.peaks import make_peaks

    cfg = load_config(args.config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    pc = dict(cfg.get('peak_cfg', {}))
    from mmwsss.utils.cli import check_cfg_options
    check_cfg_options(args.cfg_options, set(pc) | set(PEAK_KEYS), args.config, what='peak_cfg key')
    pc.update(args.cfg_options)
    ds = cfg.train_dataloader.dataset
    while 'data_root' not in ds and ds.get('datasets'):  # ConcatDataset (e.g. PAM + OoD negatives)
        ds = ds.datasets[0]
    data_root = args.data_root or ds.data_root
    split = args.split or pc.get('split', 'ImageSets/Segmentation/train.txt')
    out_dir = args.out_dir or osp.join(data_root, pc.get('out_dir', 'Peak_points'))
    from mmwsss.utils import atomic_write, claim_output_dir, file_identity
    # a resumed run must not keep the peaks of an earlier PAM (a retrained one writes to the same folder)
    stamp = dict(tool='extract_peaks', config=osp.abspath(args.config), checkpoint=file_identity(args.checkpoint),
                 split=osp.abspath(osp.join(data_root, split)), peak_cfg={k: pc[k] for k in sorted(pc)})
    claim_output_dir(out_dir, stamp, resume=not args.no_resume, suffix='.txt')  # before the done marker goes
    done_path = osp.join(out_dir, DONE)
    if osp.isfile(done_path):
        os.remove(done_path)  # re-written once every file of this run exists
    model = MODELS.build(cfg.model)
    from mmwsss.utils.checkpoint import load_checkpoint_strict
    load_checkpoint_strict(model, args.checkpoint, allow_partial=args.allow_partial)
    model.to(args.device).eval()
    num_classes = model.num_classes
    ids = read_split(osp.join(data_root, split))
    labels = read_cls_labels(osp.join(data_root, pc.get('cls_label_file', 'ImageSets/Segmentation/train_cls.txt')),
                             num_classes)
    settings = {k: pc[k] for k in ('input_size', 'kernel', 'topk', 'conf_thresh') if k in pc}
    res = make_peaks(model, ids, osp.join(data_root, 'JPEGImages'), labels, out_dir, **settings)
    n_done, n_pts = res['written'], res['peaks_written']
    with atomic_write(done_path, 'w') as f:
        json.dump(dict(files=len(ids), written=n_done, peaks_written=n_pts), f, indent=1)
    print(f'wrote {n_done} point files ({n_pts} peaks) to {out_dir}; {len(ids) - n_done} already existed')


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
