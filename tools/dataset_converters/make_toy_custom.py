"""Write a small "bring your own data" dataset: 5 household classes, every weak-label kind, in the layout of
docs/dataset_layout.md. It exercises the custom-dataset path of docs/custom_dataset.md (a class list that is not
the embedded one) and its CI test; it is not a benchmark.

Usage::

    python tools/dataset_converters/make_toy_custom.py data/toy_custom [--num-train 24] [--num-val 8]
        [--image-size 64] [--seed 0]

Classes (label order, background 0): kettle, lamp, mug, plant, stool; each a shape of its own colour drawn on
a textured background, 1 to 3 objects per image. Written (all atomically; the folder must be absent or empty):

    JPEGImages/, SegmentationClass/, SegmentationObject/     images, semantic and instance GT
    ImageSets/Segmentation/{train,val}.txt, {train,val}_cls.txt   splits and image tags (0-based foreground)
    Scribbles/<id>.png                                      one stroke per object + background strokes, 255 elsewhere
    Center_points/<id>.txt                                  "x y cls conf" (BESTIE point labels)
    points.json                                             the same points as JSON {id: [[x, y, cls], ...]}
    web_images/, web_labels/, web_train_list.txt            one object per image, <cls>_<number> names
    ood_images/, ood_list.txt                               backgrounds without any object
    annotations/instances_{train,val}.json                  COCO instance json (RLE masks, category ids 1..5)
    classes.txt                                             the class names, one per line
"""
import argparse
import json
import os
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

TOY_CLASSES = ('kettle', 'lamp', 'mug', 'plant', 'stool')
# --num-classes 20: the five above and fifteen more, for the many-small-classes setting
MANY_CLASSES = TOY_CLASSES + ('bowl', 'broom', 'clock', 'fan', 'jar', 'kettlebell', 'ladder', 'mirror', 'pan',
                              'pillow', 'radio', 'shelf', 'sponge', 'toaster', 'vase')
_COLOURS = np.array([[200, 40, 40], [40, 170, 60], [230, 210, 40], [40, 90, 210], [150, 60, 190],
                     [240, 130, 40], [60, 200, 200], [240, 50, 230], [170, 240, 60], [250, 190, 190],
                     [0, 128, 128], [230, 190, 255], [154, 99, 36], [255, 250, 200], [128, 0, 0],
                     [170, 255, 195], [128, 128, 0], [255, 215, 180], [0, 0, 128], [128, 128, 128]], np.float32)
TOY_PALETTE = [[0, 0, 0]] + _COLOURS.astype(int).tolist()


def _shape_mask(kind: int, h: int, w: int, cy: float, cx: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    dy, dx = yy - cy, xx - cx
    if kind == 0:  # disc
        return dy ** 2 + dx ** 2 <= r ** 2
    if kind == 1:  # square
        return (np.abs(dy) <= r * 0.85) & (np.abs(dx) <= r * 0.85)
    if kind == 2:  # triangle
        return (dy <= r * 0.8) & (dy >= -r) & (np.abs(dx) <= (dy + r) * 0.6)
    if kind == 3:  # cross
        return ((np.abs(dy) <= r * 0.3) & (np.abs(dx) <= r)) | ((np.abs(dx) <= r * 0.3) & (np.abs(dy) <= r))
    return (dy / (r * 0.55)) ** 2 + (dx / r) ** 2 <= 1  # wide ellipse


def _background(rng, h, w):
    base = rng.uniform(60, 200, 3).astype(np.float32)
    noise = rng.normal(0, 12, (h, w, 1)).astype(np.float32)
    grad = np.linspace(-20, 20, w, dtype=np.float32)[None, :, None]
    return np.clip(base[None, None] + noise + grad, 0, 255)


def render(rng, size: int, num_objects: int, num_classes: int = len(TOY_CLASSES), scale=(0.12, 0.22)):
    """One image with ``num_objects`` objects: (image uint8, semantic map, instance map, [(cls, mask)]).

    Class ``c`` (1-based) is shape ``(c - 1) % 5`` in colour ``c - 1``; ``scale`` bounds the object radius as a
    fraction of the image side."""
    h = w = size
    img = _background(rng, h, w)
    sem = np.zeros((h, w), np.uint8)
    inst = np.zeros((h, w), np.uint8)
    objs = []
    for k in range(num_objects):
        cls = int(rng.integers(1, num_classes + 1))
        r = rng.uniform(size * scale[0], size * scale[1])
        cy, cx = rng.uniform(r, h - r), rng.uniform(r, w - r)
        m = _shape_mask((cls - 1) % 5, h, w, cy, cx, r)
        if m.sum() < 12:
            continue
        img[m] = _COLOURS[cls - 1] + rng.normal(0, 8, (int(m.sum()), 3))
        for j, (c, om) in enumerate(objs):  # occluded parts leave earlier objects
            objs[j] = (c, om & ~m)
        objs.append((cls, m))
    objs = [(c, m) for c, m in objs if m.sum() >= 8]
    sem[:] = 0
    for i, (c, m) in enumerate(objs, 1):
        sem[m], inst[m] = c, i
    return np.clip(img, 0, 255).astype(np.uint8), sem, inst, objs


def scribble(rng, sem: np.ndarray, objs) -> np.ndarray:
    """A short horizontal stroke through the middle row of each object, and two on the background."""
    out = np.full(sem.shape, 255, np.uint8)
    for c, m in objs:
        ys, xs = np.nonzero(m)
        row = int(np.median(ys))
        out[row, xs[ys == row]] = c
    bg = np.argwhere(sem == 0)
    for _ in range(2):
        y, x = bg[rng.integers(len(bg))]
        x0 = max(0, x - 6)
        run = out[y, x0:x + 6]
        run[sem[y, x0:x + 6] == 0] = 0
    return out


def _save_png(path, arr, palette=None):
    from mmwsss.utils.io import atomic_save_png
    atomic_save_png(path, arr, palette)


def _save_jpg(path, img):
    from PIL import Image

    from mmwsss.utils.io import atomic_write
    with atomic_write(path, 'wb') as f:
        Image.fromarray(img).save(f, format='JPEG', quality=95)


def _write_text(path, text):
    from mmwsss.utils.io import atomic_write
    with atomic_write(path, 'w') as f:
        f.write(text)


def _coco(images, anns, classes):
    return dict(images=images, annotations=anns,
                categories=[dict(id=i + 1, name=n, supercategory='household') for i, n in enumerate(classes)])


def generate(root: str, num_train: int = 24, num_val: int = 8, image_size: int = 64, num_web_per_class: int = 3,
             num_ood: int = 6, seed: int = 0, num_classes: int = 5, scale=(0.12, 0.22), max_objects: int = 3) -> str:
    from pycocotools import mask as mask_utils
    if num_classes not in (5, 20):
        raise ValueError(f'num_classes must be 5 or 20, got {num_classes}')
    classes = TOY_CLASSES if num_classes == 5 else MANY_CLASSES
    if osp.exists(root) and (not osp.isdir(root) or os.listdir(root)):
        raise FileExistsError(f'{root}: exists and is not empty; make_toy_custom.py writes only into an absent '
                              'or empty folder')
    rng = np.random.default_rng(seed)
    flat_pal = [v for c in TOY_PALETTE for v in c]
    points = {}
    for split, n in (('train', num_train), ('val', num_val)):
        ids, cls_lines, images, anns = [], [], [], []
        for i in range(n):
            img_id = f'{split}_{i:04d}'
            draw = lambda: render(rng, image_size, int(rng.integers(1, max_objects + 1)), num_classes, scale)  # noqa
            img, sem, inst, objs = draw()
            while not objs:
                img, sem, inst, objs = draw()
            _save_jpg(osp.join(root, 'JPEGImages', img_id + '.jpg'), img)
            _save_png(osp.join(root, 'SegmentationClass', img_id + '.png'), sem, flat_pal)
            _save_png(osp.join(root, 'SegmentationObject', img_id + '.png'), inst, None)
            _save_png(osp.join(root, 'Scribbles', img_id + '.png'), scribble(rng, sem, objs))
            pts = []
            for c, m in objs:
                ys, xs = np.nonzero(m)
                k = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))  # the object pixel nearest the centroid
                pts.append([int(xs[k]), int(ys[k]), c - 1])
            points[img_id] = pts
            _write_text(osp.join(root, 'Center_points', img_id + '.txt'),
                        ''.join(f'{x} {y} {c} 1.000\n' for x, y, c in pts))
            ids.append(img_id)
            cls_lines.append(' '.join([img_id] + [str(c - 1) for c in sorted({c for c, _ in objs})]))
            images.append(dict(id=i + 1, file_name=img_id + '.jpg', height=image_size, width=image_size))
            for c, m in objs:
                rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
                bbox = [float(v) for v in mask_utils.toBbox(rle)]
                rle['counts'] = rle['counts'].decode('ascii')
                anns.append(dict(id=len(anns) + 1, image_id=i + 1, category_id=c, segmentation=rle,
                                 area=int(m.sum()), bbox=bbox, iscrowd=0))
        sets = osp.join(root, 'ImageSets', 'Segmentation')
        _write_text(osp.join(sets, f'{split}.txt'), '\n'.join(ids) + '\n')
        _write_text(osp.join(sets, f'{split}_cls.txt'), '\n'.join(cls_lines) + '\n')
        _write_text(osp.join(root, 'annotations', f'instances_{split}.json'), json.dumps(_coco(images, anns, classes)))
    _write_text(osp.join(root, 'points.json'), json.dumps(points))
    web = []
    for c in range(1, num_classes + 1):
        for j in range(num_web_per_class):
            name = f'{c}_{j:06d}'
            img = _background(rng, image_size, image_size)
            r = image_size * 0.3
            m = _shape_mask((c - 1) % 5, image_size, image_size, image_size / 2, image_size / 2, r)
            img[m] = _COLOURS[c - 1] + rng.normal(0, 8, (int(m.sum()), 3))
            lab = np.where(m, c, 0).astype(np.uint8)
            _save_jpg(osp.join(root, 'web_images', name + '.jpg'), np.clip(img, 0, 255).astype(np.uint8))
            _save_png(osp.join(root, 'web_labels', name + '.png'), lab, flat_pal)
            web.append(name)
    _write_text(osp.join(root, 'web_train_list.txt'), '\n'.join(web) + '\n')
    ood = []
    for j in range(num_ood):
        name = f'ood_{j:04d}.jpg'
        _save_jpg(osp.join(root, 'ood_images', name), _background(rng, image_size, image_size).astype(np.uint8))
        ood.append(name)
    _write_text(osp.join(root, 'ood_list.txt'), '\n'.join(ood) + '\n')
    _write_text(osp.join(root, 'classes.txt'), '\n'.join(classes) + '\n')
    return root


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('data_root', help='output folder (absent or empty)')
    p.add_argument('--num-train', type=int, default=24)
    p.add_argument('--num-val', type=int, default=8)
    p.add_argument('--image-size', type=int, default=64)
    p.add_argument('--num-web-per-class', type=int, default=3)
    p.add_argument('--num-ood', type=int, default=6)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--num-classes', type=int, default=5, choices=(5, 20),
                   help='20: fifteen more classes (the many-small-classes setting, with --object-scale 0.05 0.09)')
    p.add_argument('--object-scale', type=float, nargs=2, default=(0.12, 0.22), help='object radius / image side')
    p.add_argument('--max-objects', type=int, default=3)
    a = p.parse_args(argv)
    root = generate(a.data_root, a.num_train, a.num_val, a.image_size, a.num_web_per_class, a.num_ood, a.seed,
                    a.num_classes, tuple(a.object_scale), a.max_objects)
    names = TOY_CLASSES if a.num_classes == 5 else MANY_CLASSES
    print(f'wrote the toy custom dataset ({len(names)} classes: {", ".join(names)}) to {root}')


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
