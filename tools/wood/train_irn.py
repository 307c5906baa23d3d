"""Train the IRN boundary/displacement heads on IR labels (IRN step/train_irn.py).

The backbone is initialised from the CAM classifier checkpoint (keys ``backbone.*``) and frozen.

Example::

    python tools/wood/train_irn.py configs/wood/irn_r18-d8_1xb8-300it_synthetic-112x112.py \
        --cam-checkpoint work_dirs/wood_r18-d8_1xb8-500it_synthetic-112x112/iter_500.pth --ir-label-dir work_dirs/wood/ir_label \
        --work-dir work_dirs/wood/irn
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


def main():
    p = argparse.ArgumentParser(description='Train IRN')
    p.add_argument('config')
    p.add_argument('--cam-checkpoint', required=True, help='CAM classifier checkpoint (backbone weights)')
    p.add_argument('--ir-label-dir', required=True, help='folder of IR label PNGs (absolute or data-root relative)')
    p.add_argument('--work-dir', required=True)
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={}, help='key=value overrides')
    args = p.parse_args()
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmwsss.utils.compat import apply_patches, cpu_dist_cfg
    apply_patches()
    if not osp.isfile(args.cam_checkpoint):
        raise FileNotFoundError(f'{args.cam_checkpoint}: CAM checkpoint not found')
    if not osp.isdir(args.ir_label_dir):
        raise FileNotFoundError(f'{args.ir_label_dir}: IR label folder not found (run cam_to_ir_label.py)')
    cfg = Config.fromfile(args.config)
    from mmwsss.utils.cli import check_cfg_options
    from mmwsss.utils.config import known_top_level_keys
    check_cfg_options(args.cfg_options, known_top_level_keys(cfg), args.config)
    cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=osp.abspath(args.cam_checkpoint),
                                       prefix='backbone.')
    cfg.train_dataloader.dataset.data_prefix.seg_map_path = osp.abspath(args.ir_label_dir)
    cpu_dist_cfg(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
