"""Write PNG overlays of what each method sees for some images of a dataset in the mmwsss layout.

Panels (``--show``): image, gt (class map), instances (SegmentationObject), scribble, points
(Center_points), point-instances (BESTIE's pseudo instances: the regions of the class map that hold exactly
one point), and any folder of per-image outputs given as KIND=DIR: ``pseudo=DIR`` / ``pred=DIR`` (PNG label
maps), ``cam=DIR`` (``<id>.npy``: (K, H, W) CAMs, or an IRN-style dict with ``high_res``), ``peaks=DIR``
(``<id>.txt`` point files).

``--model CONFIG CKPT`` adds the model's prediction (a class map for mmseg models, instances for mmdet
models) and, for BLPSeg, its self-training pseudo label (confident predictions within the scribbled classes,
scribbles kept). ``--layout rows`` writes one figure with a row per image.

Usage: python tools/visualize.py DATA_ROOT --out vis/ [--split val] [--num 8] [--ids a b]
           [--show image gt instances scribble points] [--extra pseudo=work_dirs/x/pseudo cam=...]
           [--model CONFIG CKPT] [--layout rows]
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from mmwsss.datasets.points import read_points  # noqa: E402
from mmwsss.datasets.splits import read_split  # noqa: E402
from mmwsss.visualization import draw_instances, draw_points, overlay_heatmap, overlay_label_map, tile  # noqa: E402
from mmwsss.utils.io import atomic_write  # noqa: E402


def _load_cam(path):
    data = np.load(path, allow_pickle=True)
    if data.dtype == object:
        data = data.item()
        data = data.get('high_res', data.get('cam'))
    cam = np.asarray(data, np.float32)
    return cam.max(0) if cam.ndim == 3 else cam


class ModelPanels:
    """Prediction (and BLPSeg's pseudo label) of a trained model on one image of the dataset."""

    def __init__(self, config, checkpoint):
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        from mmwsss.utils.compat import apply_patches, cpu_dist_cfg
        apply_patches()  # opt in: runner checkpoints under torch's weights_only loading
        cfg = Config.fromfile(config)
        cpu_dist_cfg(cfg)
        self.scope = cfg.get('default_scope', 'mmseg')
        init_default_scope(self.scope)
        if self.scope == 'mmdet':
            import mmwsss.det  # noqa: F401
            from mmdet.apis import init_detector
            pipeline = cfg.test_dataloader.dataset.pipeline
            cfg.test_dataloader.dataset.pipeline = [t for t in pipeline if 'Annotations' not in t['type']]
            self.model = init_detector(cfg, checkpoint, device='cpu')
        else:
            import mmwsss.seg  # noqa: F401
            from mmseg.apis import init_model
            cfg.test_pipeline = [t for t in cfg.test_pipeline if 'Annotations' not in t['type']]
            self.model = init_model(cfg, checkpoint, device='cpu')
        self.model.eval()

    def __call__(self, data_root, img_id, img, class_names):
        """Return ``[(title, panel), ...]`` for the image."""
        path = osp.join(data_root, 'JPEGImages', img_id + '.jpg')
        if self.scope == 'mmdet':
            from mmdet.apis import inference_detector
            inst = inference_detector(self.model, path).pred_instances
            masks = inst.masks.cpu().numpy().astype(bool) if len(inst) else np.zeros((0,) + img.shape[:2], bool)
            labels = [int(v) + 1 for v in inst.labels.cpu().numpy()]  # fg 0-based -> VOC 1-based
            return [('pred', draw_instances(img, masks, labels, inst.scores.cpu().numpy(), class_names))]
        from mmseg.apis import inference_model
        result = inference_model(self.model, path)
        pred = result.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
        panels = [('pred', overlay_label_map(img, pred))]
        scribble_path = osp.join(data_root, 'Scribbles', img_id + '.png')
        if type(self.model).__name__ == 'BLPSeg' and osp.isfile(scribble_path):
            import torch
            from mmwsss.models.losses.blp_loss import blp_pseudo_labels
            logits = result.seg_logits.data[None].float()
            scribble = torch.from_numpy(np.asarray(Image.open(scribble_path)).astype(np.int64))
            scribble[scribble == 255] = logits.shape[1]  # not annotated
            pseudo = blp_pseudo_labels(logits, scribble[None], None)[0].numpy().astype(np.uint8)
            panels.insert(0, ('pseudo', overlay_label_map(img, pseudo)))
        return panels


def point_instances(data_root, img_id, min_area=20):
    """BESTIE's pseudo instances: the regions of the class map with exactly one point of their class."""
    from mmwsss.det.datasets.transforms.bestie_targets import cue_components
    cls_map = np.asarray(Image.open(osp.join(data_root, 'SegmentationClass', img_id + '.png')))
    pts = read_points(osp.join(data_root, 'Center_points', img_id + '.txt'))
    masks, labels = [], []
    for c in sorted({int(p[2]) for p in pts}):
        px = np.array([int(p[0]) for p in pts if int(p[2]) == c], np.int64)
        py = np.array([int(p[1]) for p in pts if int(p[2]) == c], np.int64)
        for lab, k, _, n_cues, _ in cue_components(cls_map, c, px, py, min_area):
            if n_cues == 1:
                masks.append(lab == k)
                labels.append(c + 1)
    masks = np.stack(masks) if masks else np.zeros((0,) + cls_map.shape, bool)
    return masks, labels


def render(data_root, img_id, show, extras, class_names=None, model=None):
    img = np.asarray(Image.open(osp.join(data_root, 'JPEGImages', img_id + '.jpg')).convert('RGB'))
    panels, titles = [], []
    for kind in show:
        if kind == 'image':
            panels.append(img)
        elif kind == 'gt':
            lab = np.asarray(Image.open(osp.join(data_root, 'SegmentationClass', img_id + '.png')))
            panels.append(overlay_label_map(img, lab))
        elif kind == 'instances':
            obj = np.asarray(Image.open(osp.join(data_root, 'SegmentationObject', img_id + '.png')))
            cls = np.asarray(Image.open(osp.join(data_root, 'SegmentationClass', img_id + '.png')))
            ids = [i for i in np.unique(obj) if i not in (0, 255)]
            masks = np.stack([obj == i for i in ids]) if ids else np.zeros((0,) + obj.shape, bool)
            labels = [int(np.bincount(cls[m]).argmax()) for m in masks]
            panels.append(draw_instances(img, masks, labels, class_names=class_names))
        elif kind == 'scribble':
            scr = np.asarray(Image.open(osp.join(data_root, 'Scribbles', img_id + '.png')))
            panels.append(overlay_label_map(img, scr, alpha=1.0, ignore_color=None))
        elif kind == 'points':
            pts = read_points(osp.join(data_root, 'Center_points', img_id + '.txt'))
            panels.append(draw_points(img, pts, class_names))
        elif kind == 'point-instances':
            masks, labels = point_instances(data_root, img_id)
            panels.append(draw_instances(img, masks, labels, class_names=class_names))
        elif kind == 'model':
            for title, panel in model(data_root, img_id, img, class_names):
                panels.append(panel)
                titles.append(title)
            continue
        else:
            raise ValueError(f'unknown panel {kind!r}')
        titles.append(kind)
    for kind, folder in extras:
        base = kind.split(':')[0]
        if base in ('pseudo', 'pred'):
            lab = np.asarray(Image.open(osp.join(folder, img_id + '.png')))
            panels.append(overlay_label_map(img, lab))
        elif base == 'cam':
            panels.append(overlay_heatmap(img, _load_cam(osp.join(folder, img_id + '.npy'))))
        elif base == 'peaks':
            panels.append(draw_points(img, read_points(osp.join(folder, img_id + '.txt')), class_names))
        else:
            raise ValueError(f'unknown extra kind {kind!r} (pseudo, pred, cam, peaks; a label may follow: pseudo:wood)')
        titles.append(kind)
    return panels, titles


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root')
    parser.add_argument('--out', required=True)
    parser.add_argument('--split', default='val')
    parser.add_argument('--num', type=int, default=8)
    parser.add_argument('--ids', nargs='+')
    parser.add_argument('--show', nargs='+', default=['image', 'gt', 'instances', 'scribble', 'points'])
    parser.add_argument('--extra', nargs='+', default=[], metavar='KIND=DIR')
    parser.add_argument('--model', nargs=2, metavar=('CONFIG', 'CKPT'),
                        help="add the model's prediction (and BLPSeg's pseudo label) where --show lists 'model'")
    parser.add_argument('--layout', choices=['files', 'rows'], default='files',
                        help='files: one PNG per image; rows: one figure.png with a row per image')
    args = parser.parse_args()
    model = None
    if args.model:
        for f in args.model:
            if not osp.isfile(f):
                parser.error(f'{f}: no such file (for --model)')
        model = ModelPanels(*args.model)
        if 'model' not in args.show:
            args.show.append('model')
    elif 'model' in args.show:
        parser.error("--show model needs --model CONFIG CKPT")
    extras = []
    for item in args.extra:
        if '=' not in item:
            parser.error(f'--extra takes KIND=DIR, got {item!r}')
        kind, folder = item.split('=', 1)
        if not osp.isdir(folder):
            parser.error(f'{folder}: not a directory (for --extra {kind})')
        extras.append((kind, folder))
    ids = args.ids
    if not ids:
        ids = read_split(osp.join(args.data_root, 'ImageSets', 'Segmentation', args.split + '.txt'))[:args.num]
    class_names = None
    meta = osp.join(args.data_root, 'meta.json')
    if osp.isfile(meta):
        import json
        class_names = json.load(open(meta)).get('classes')
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for img_id in ids:
        panels, titles = render(args.data_root, img_id, args.show, extras, class_names, model)
        if args.layout == 'rows':
            rows.append((panels, titles))
            continue
        with atomic_write(osp.join(args.out, img_id + '.png')) as f:
            Image.fromarray(tile(panels, titles, cols=len(panels))).save(f, format='PNG')
    if rows:
        cols = len(rows[0][0])
        canvas = tile([p for r in rows for p in r[0]], [t for r in rows for t in r[1]], cols=cols)
        with atomic_write(osp.join(args.out, 'figure.png')) as f:
            Image.fromarray(canvas).save(f, format='PNG')
        print(f'wrote {osp.join(args.out, "figure.png")} ({len(rows)} images)')
    else:
        print(f'wrote {len(ids)} overlays to {args.out}')


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
