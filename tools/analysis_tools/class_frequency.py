"""Pixel frequency of every class in a split's label maps, and loss weights that balance them.

Usage::

    python tools/analysis_tools/class_frequency.py DATA_ROOT [--split ImageSets/Segmentation/train.txt]
        [--mask-dir SegmentationClass] [--power 0.5] [--num-classes C]

Prints one line per class (pixel share, weight) and the ``class_weight`` list for
``ClassBalancedCELoss`` (``loss_decode=dict(type='ClassBalancedCELoss', class_weight=[...])``): ``w_c = (1 / f_c) ** power``, normalised so that the pixel-weighted mean weight is 1
(the loss scale of unweighted CE is kept). ``power`` 0.5 (inverse square root) tempers the weights of very rare
classes; 1.0 is full inverse-frequency balancing. Classes absent from the split get the largest weight of
the others. 255 (void) is not counted.
"""
import argparse
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from mmwsss.datasets.classes import balance_weights  # noqa: E402,F401 (the weights of ClassBalancedCELoss)


def class_frequency(data_root, ids, mask_dir, num_classes):
    from PIL import Image
    counts = np.zeros(num_classes, np.int64)
    for img_id in ids:
        path = osp.join(data_root, mask_dir, img_id + '.png')
        try:
            lab = np.asarray(Image.open(path))
        except (OSError, FileNotFoundError) as e:
            raise OSError(f'{path}: cannot read label map ({e})') from None
        vals = lab[lab != 255]
        if vals.size and vals.max() >= num_classes:
            raise ValueError(f'{path}: value {int(vals.max())} outside the {num_classes} classes')
        counts += np.bincount(vals.ravel(), minlength=num_classes)
    return counts


def main(argv=None):
    from mmwsss.datasets.classes import num_classes_at
    from mmwsss.datasets.voc_aug import read_split
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('data_root')
    p.add_argument('--split', default='ImageSets/Segmentation/train.txt')
    p.add_argument('--mask-dir', default='SegmentationClass')
    p.add_argument('--power', type=float, default=0.5)
    p.add_argument('--num-classes', type=int, default=None, help='incl. background (default: classes.txt/meta.json)')
    a = p.parse_args(argv)
    nc = num_classes_at(a.data_root, a.num_classes)
    counts = class_frequency(a.data_root, read_split(osp.join(a.data_root, a.split)), a.mask_dir, nc)
    freq, w = balance_weights(counts, a.power)
    for c in range(nc):
        print(f'{c:3d}  {100 * freq[c]:7.3f} %  weight {w[c]:.3f}')
    print('class_weight=[' + ', '.join(f'{v:.4f}' for v in w) + ']')
    return w


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
