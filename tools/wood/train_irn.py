"""Train the IRN boundary/displacement heads on IR labels (IRN ``step/train_irn.py``, as run by W-OoD).

A shortcut for ``tools/train.py`` that names the two inputs of the stage and checks them: the backbone is
initialised from the CAM classifier checkpoint (keys ``backbone.*``) and frozen; the IR labels replace the
segmentation maps. Everything else (resume, AMP, launchers, ``--cfg-options``) is ``tools/train.py``'s.

Example::

    python tools/wood/train_irn.py configs/wood/irn_r18-d8_1xb8-300it_synthetic-112x112.py \
        --cam-checkpoint work_dirs/wood_r18-d8_1xb8-500it_synthetic-112x112/iter_500.pth \
        --ir-label-dir work_dirs/wood/ir_label --work-dir work_dirs/wood/irn

is ``tools/train.py CONFIG --work-dir DIR --cfg-options model.backbone.init_cfg.checkpoint=CKPT
train_dataloader.dataset.data_prefix.seg_map_path=IR_LABEL_DIR``.
"""
import argparse
import os.path as osp
import sys

TOOLS = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, TOOLS)
sys.path.insert(0, osp.dirname(TOOLS))


def main():
    p = argparse.ArgumentParser(description='Train IRN (tools/train.py with the CAM checkpoint and IR labels)')
    p.add_argument('config')
    p.add_argument('--cam-checkpoint', required=True, help='CAM classifier checkpoint (backbone weights)')
    p.add_argument('--ir-label-dir', required=True, help='folder of IR label PNGs (absolute or data-root relative)')
    p.add_argument('--work-dir', required=True)
    p.add_argument('--cfg-options', nargs='+', default=[], help='key=value overrides (as tools/train.py)')
    args, rest = p.parse_known_args()
    if not osp.isfile(args.cam_checkpoint):
        raise FileNotFoundError(f'{args.cam_checkpoint}: CAM checkpoint not found')
    if not osp.isdir(args.ir_label_dir):
        raise FileNotFoundError(f'{args.ir_label_dir}: IR label folder not found (run cam_to_ir_label.py)')
    options = [f'model.backbone.init_cfg.checkpoint={osp.abspath(args.cam_checkpoint)}',
               f'train_dataloader.dataset.data_prefix.seg_map_path={osp.abspath(args.ir_label_dir)}']
    sys.argv = [osp.join(TOOLS, 'train.py'), args.config, '--work-dir', args.work_dir] + rest + \
        ['--cfg-options'] + options + list(args.cfg_options)
    import train
    train.main()


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
