"""Write PNG overlays of what each method sees for some images of a dataset in the mmwsss layout.

Panels (``--show``): image, gt (class map), instances (SegmentationObject), scribble, points
(Center_points), and any folder of per-image outputs given as KIND=DIR: ``pseudo=DIR`` / ``pred=DIR``
(PNG label maps), ``cam=DIR`` (``<id>.npy``: (K, H, W) CAMs, or an IRN-style dict with ``high_res``),
``peaks=DIR`` (``<id>.txt`` point files).

Usage: python tools/visualize.py DATA_ROOT --out vis/ [--split val] [--num 8] [--ids a b]
           [--show image gt instances scribble points] [--extra pseudo=work_dirs/x/pseudo cam=...]
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from mmwsss.datasets.points import read_points  # noqa: E402
from mmwsss.visualization import draw_instances, draw_points, overlay_heatmap, overlay_label_map, tile  # noqa: E402
from mmwsss.utils.io import atomic_write  # noqa: E402


def _load_cam(path):
    data = np.load(path, allow_pickle=True)
    if data.dtype == object:
        data = data.item()
        data = data.get('high_res', data.get('cam'))
    cam = np.asarray(data, np.float32)
    return cam.max(0) if cam.ndim == 3 else cam


def render(data_root, img_id, show, extras, class_names=None):
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
    return tile(panels, titles, cols=len(panels))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root')
    parser.add_argument('--out', required=True)
    parser.add_argument('--split', default='val')
    parser.add_argument('--num', type=int, default=8)
    parser.add_argument('--ids', nargs='+')
    parser.add_argument('--show', nargs='+', default=['image', 'gt', 'instances', 'scribble', 'points'])
    parser.add_argument('--extra', nargs='+', default=[], metavar='KIND=DIR')
    args = parser.parse_args()
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
        split = osp.join(args.data_root, 'ImageSets', 'Segmentation', args.split + '.txt')
        with open(split) as f:
            ids = [line.split()[0] for line in f if line.strip()][:args.num]
    class_names = None
    meta = osp.join(args.data_root, 'meta.json')
    if osp.isfile(meta):
        import json
        class_names = json.load(open(meta)).get('classes')
    os.makedirs(args.out, exist_ok=True)
    for img_id in ids:
        canvas = render(args.data_root, img_id, args.show, extras, class_names)
        with atomic_write(osp.join(args.out, img_id + '.png')) as f:
            Image.fromarray(canvas).save(f, format='PNG')
    print(f'wrote {len(ids)} overlays to {args.out}')


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
