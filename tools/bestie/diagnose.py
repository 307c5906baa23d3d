"""Where does a BESTIE model lose mAP: the semantic branch or the instance grouping?

Runs a trained BESTIE model on a split and reports, in one pass:

* the semantic mIoU of its segmentation branch (argmax of the softmax, against ``SegmentationClass``);
* instance mAP50 / mAP75 of the normal post-processing (the model's ``test_cfg``);
* the same instance mAP with the GT class map in place of the predicted one, keeping the predicted
  centres and offsets: the quality of the grouping alone;
* the per-class AP of both (foreground classes in order; NaN where a class has no GT instance).

Usage:
    python tools/bestie/diagnose.py CONFIG CHECKPOINT [--data-root DIR] [--split ImageSets/Segmentation/val.txt]
        [--out diag.json]
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np
import torch

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


def parse_args():
    p = argparse.ArgumentParser(description='BESTIE diagnosis: semantic branch vs instance grouping')
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--data-root', default=None, help='default: test_dataloader.dataset.data_root')
    p.add_argument('--split', default='ImageSets/Segmentation/val.txt')
    p.add_argument('--img-dir', default='JPEGImages')
    p.add_argument('--img-suffix', default='.jpg')
    p.add_argument('--iou-thrs', type=float, nargs='+', default=[0.5, 0.75])
    p.add_argument('--out', default=None, help='write the numbers as JSON')
    return p.parse_args()


def main():
    args = parse_args()
    from mmwsss.utils import apply_patches
    apply_patches()  # opt in: runner checkpoints under torch's weights_only loading, ...
    from mmdet.apis import init_detector
    from mmwsss.utils.config import load_config
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope
    from PIL import Image

    import mmwsss.det  # noqa: F401
    from mmwsss.datasets.splits import read_split
    from mmwsss.det.evaluation.voc_instance_ap import accumulate_ap, load_voc_instance_gt, match_image
    from mmwsss.det.models.postprocess import get_instances
    from mmwsss.utils import atomic_write

    cfg = load_config(args.config)
    init_default_scope('mmdet')
    root = args.data_root or cfg.test_dataloader.dataset.data_root
    model = init_detector(cfg, args.checkpoint, device='cpu').eval()
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    num_fg = model.num_classes
    tc = model.test_cfg
    conf = np.zeros((num_fg + 1, num_fg + 1), np.int64)
    matches = dict(predicted=[], gt_semantic=[])
    ids = read_split(osp.join(root, args.split))
    for name in ids:
        data = pipeline(dict(img_path=osp.join(root, args.img_dir, name + args.img_suffix), img_id=name))
        batch = model.data_preprocessor(dict(inputs=[data['inputs']], data_samples=[data['data_samples']]), False)
        with torch.no_grad():
            seg, ctr, off = model._forward(batch['inputs'])
        gt_masks, gt_labels = load_voc_instance_gt(osp.join(root, 'SegmentationObject', name + '.png'),
                                                   osp.join(root, 'SegmentationClass', name + '.png'))
        gt = np.asarray(Image.open(osp.join(root, 'SegmentationClass', name + '.png'))).astype(np.int64)
        h, w = gt.shape
        if data['data_samples'].metainfo['img_shape'][:2] != (h, w):
            raise ValueError(f'{name}: diagnose.py needs a test pipeline that keeps the original size '
                             f'(got {data["data_samples"].metainfo["img_shape"][:2]} for {(h, w)})')
        prob = torch.softmax(seg[0], 0)[:, :h, :w]
        ctr, off = ctr[0][:, :h, :w], off[0][:, :h, :w]
        valid = gt != 255
        pred = prob.argmax(0).numpy()
        conf += np.bincount(gt[valid] * (num_fg + 1) + pred[valid], minlength=(num_fg + 1)**2).reshape(conf.shape)
        gt_prob = torch.zeros_like(prob)
        gt_prob.scatter_(0, torch.from_numpy(np.where(valid, gt, 0))[None], 1.0)
        for key, p in (('predicted', prob), ('gt_semantic', gt_prob)):
            r = get_instances(p, ctr, off, thr=tc['thr'], nms_kernel=tc['nms_kernel'], beta=tc['beta'],
                              min_area=tc['min_area'], ignore=tc['ignore'])
            matches[key].append(match_image(r['masks'].numpy(), r['labels'].numpy(), r['scores'].numpy(),
                                            gt_masks, gt_labels, args.iou_thrs))
    tp = np.diag(conf).astype(np.float64)
    iou = tp / np.maximum(conf.sum(0) + conf.sum(1) - tp, 1)
    out = dict(semantic_miou=round(float(iou.mean() * 100), 2), semantic_iou=[round(float(v * 100), 2) for v in iou])
    for key, per_image in matches.items():
        for t in args.iou_thrs:
            ap = accumulate_ap(per_image, t, num_fg)
            out[f'{key}/mAP{int(round(t * 100))}'] = round(float(np.nanmean(ap) * 100), 2)
            out[f'{key}/AP{int(round(t * 100))}_per_class'] = [round(float(v * 100), 2) for v in ap]
    print(json.dumps(out, indent=1))
    if args.out:
        with atomic_write(args.out, 'w') as f:
            json.dump(out, f, indent=1)


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
