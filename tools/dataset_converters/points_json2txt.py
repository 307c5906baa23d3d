"""Point labels from JSON to BESTIE's per-image text files.

Input: ``{"<id>": [[x, y, cls], ...], ...}`` (``cls`` 0-based foreground index; an optional 4th value is the
confidence, 1.0 when absent). Output: ``<data_root>/<out-dir>/<id>.txt`` with ``"x y cls conf"`` lines
(``Center_points`` by default, the folder the point-label configs read).

Usage::

    python tools/dataset_converters/points_json2txt.py DATA_ROOT points.json [--out-dir Center_points]
        [--num-classes C]
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))


def convert(data_root, json_path, out_dir='Center_points', num_fg=None):
    from mmwsss.utils.io import atomic_write
    path = json_path if osp.isabs(json_path) else osp.join(data_root, json_path)
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f'{path}: point file not found') from None
    except ValueError as e:
        raise ValueError(f'{path}: not valid JSON ({e})') from None
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected {{"<id>": [[x, y, cls], ...]}}')
    for img_id, pts in data.items():
        lines = []
        for p in pts:
            if not isinstance(p, (list, tuple)) or len(p) not in (3, 4):
                raise ValueError(f'{path}: {img_id}: a point is [x, y, cls] or [x, y, cls, conf], got {p!r}')
            x, y, c = int(round(p[0])), int(round(p[1])), int(p[2])
            if c < 0 or (num_fg is not None and c >= num_fg):
                raise ValueError(f'{path}: {img_id}: class {c} outside [0, {num_fg})' if num_fg else
                                 f'{path}: {img_id}: negative class {c}')
            lines.append(f'{x} {y} {c} {float(p[3]) if len(p) == 4 else 1.0:.3f}\n')
        with atomic_write(osp.join(data_root, out_dir, img_id + '.txt'), 'w') as f:
            f.writelines(lines)
    return len(data)


def main(argv=None):
    from mmwsss.datasets.classes import read_dataset_classes, foreground
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('data_root')
    p.add_argument('json', help='points JSON (relative to data_root or absolute)')
    p.add_argument('--out-dir', default='Center_points')
    p.add_argument('--num-classes', type=int, default=None, help='foreground classes (default: classes.txt/meta.json)')
    a = p.parse_args(argv)
    num_fg = a.num_classes
    if num_fg is None:
        classes = read_dataset_classes(a.data_root)
        num_fg = len(foreground(classes)) if classes else None
    n = convert(a.data_root, a.json, a.out_dir, num_fg)
    print(f'{n} images -> {osp.join(a.data_root, a.out_dir)}')


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
