"""Convert PASCAL-Scribble ``.xml`` annotations (VOC 2012 or PASCAL-Context) to label PNGs.

Drawing follows BLPSeg's converter (BLPSeg experiment/blpseg-voc/train.py; lib/datasets/ContextDataset.py):

* canvas of the XML ``<size>`` filled with 255 (= not annotated);
* every ``<polygon>`` is a polyline of ``<point><X/><Y/></point>``; coordinates are integers clipped
  to the image; consecutive points ``(r1, c1) -> (r2, c2)`` are joined by a 1-pixel DDA line:
  ``m = max(|dr|, |dc|)``; if ``m > 1`` the pixels ``(int(r1 + i dr / m), int(c1 + i dc / m))`` for
  ``i = 0 .. m-1`` are set; both end points are always set (a one-point polygon draws nothing);
* polygons are drawn in file order, later ones overwrite earlier ones; no dilation.

Output: uint8 PNG, values ``0..C-1`` (0 = background) and 255, named like the XML file.
Finished outputs are skipped (resume); outputs are written atomically.

Usage::

    python tools/dataset_converters/scribble_xml2png.py XML_DIR OUT_DIR --dataset voc
    python tools/dataset_converters/scribble_xml2png.py XML_DIR OUT_DIR --dataset context
"""
import argparse
import os
import os.path as osp
import sys
import xml.etree.ElementTree as ET
from typing import Dict, List, Tuple

import numpy as np

VOC_TAGS = ('background', 'plane', 'bike', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'table',
            'dog', 'horse', 'motorbike', 'person', 'plant', 'sheep', 'sofa', 'train', 'monitor')
CONTEXT_TAGS = VOC_TAGS + ('bag', 'bed', 'bench', 'book', 'building', 'cabinet', 'ceiling', 'cloth', 'computer',
                           'cup', 'door', 'fence', 'floor', 'flower', 'food', 'grass', 'ground', 'keyboard', 'light',
                           'mountain', 'mouse', 'curtain', 'platform', 'sign', 'plate', 'road', 'rock', 'shelves',
                           'sidewalk', 'sky', 'snow', 'bedclothes', 'track', 'tree', 'truck', 'wall', 'water',
                           'window', 'wood')
TAG_TABLES = {'voc': {t: i for i, t in enumerate(VOC_TAGS)}, 'context': {t: i for i, t in enumerate(CONTEXT_TAGS)}}

__all__ = ['VOC_TAGS', 'CONTEXT_TAGS', 'parse_scribble_xml', 'draw_scribbles', 'xml_to_label', 'convert_dir']


def _text(node: ET.Element, tag: str, path: str, what: str) -> str:
    child = node.find(tag)
    if child is None or child.text is None or not child.text.strip():
        raise ValueError(f'{path}: {what} has no <{tag}> value')
    return child.text.strip()


def _int(text: str, path: str, what: str) -> int:
    try:
        return int(round(float(text)))
    except ValueError:
        raise ValueError(f'{path}: {what} is not a number: {text!r}') from None


def parse_scribble_xml(path: str, tags: Dict[str, int]) -> Tuple[Tuple[int, int], List[Tuple[int, np.ndarray]]]:
    """Read one PASCAL-Scribble XML file.

    Args:
        path: The ``.xml`` file.
        tags: Tag name -> class index.

    Returns:
        ``((h, w), [(class_index, points (P, 2) int64 array of (row, col) clipped to the image), ...])``.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: Malformed XML, missing size, bad size/point values or an unknown tag.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: scribble XML not found')
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise ValueError(f'{path}: not a valid XML file ({e})') from None
    size = root.find('size')
    if size is None:
        raise ValueError(f'{path}: no <size> element')
    h = _int(_text(size, 'height', path, '<size>'), path, '<size><height>')
    w = _int(_text(size, 'width', path, '<size>'), path, '<size><width>')
    if h <= 0 or w <= 0:
        raise ValueError(f'{path}: image size must be positive, got {h}x{w}')
    polygons = []
    for k, poly in enumerate(root.iter('polygon')):
        tag = _text(poly, 'tag', path, f'polygon #{k}')
        if tag not in tags:
            raise ValueError(f'{path}: polygon #{k} has unknown tag {tag!r} (known: {", ".join(tags)})')
        pts = []
        for j, pt in enumerate(poly.findall('point')):
            x = _int(_text(pt, 'X', path, f'polygon #{k} point #{j}'), path, f'polygon #{k} point #{j} X')
            y = _int(_text(pt, 'Y', path, f'polygon #{k} point #{j}'), path, f'polygon #{k} point #{j} Y')
            pts.append((min(max(y, 0), h - 1), min(max(x, 0), w - 1)))
        polygons.append((tags[tag], np.asarray(pts, dtype=np.int64).reshape(-1, 2)))
    return (h, w), polygons


def draw_scribbles(size: Tuple[int, int], polygons: List[Tuple[int, np.ndarray]]) -> np.ndarray:
    """Rasterise polylines with BLPSeg's 1-pixel DDA (BLPSeg experiment/blpseg-voc/train.py).

    Args:
        size: ``(h, w)``.
        polygons: ``[(class_index, (P, 2) (row, col) points)]`` in drawing order.

    Returns:
        (h, w) uint8 label map, 255 where nothing was drawn.
    """
    label = np.full(size, 255, dtype=np.uint8)
    for cls, pts in polygons:
        rows, cols = [], []
        for (r1, c1), (r2, c2) in zip(pts[:-1], pts[1:]):
            m = int(max(abs(r2 - r1), abs(c2 - c1)))
            if m > 1:
                i = np.arange(m, dtype=np.float64)
                # Same float64 arithmetic and truncation as the reference DDA (non-negative values).
                rows.append(np.trunc(r1 + (r2 - r1) / m * i).astype(np.int64))
                cols.append(np.trunc(c1 + (c2 - c1) / m * i).astype(np.int64))
            rows.append(np.array([r1, r2], dtype=np.int64))
            cols.append(np.array([c1, c2], dtype=np.int64))
        if rows:
            label[np.concatenate(rows), np.concatenate(cols)] = cls
    return label


def xml_to_label(path: str, dataset: str = 'voc') -> np.ndarray:
    """Convert one XML file to an (h, w) uint8 label map.

    Args:
        path: ``.xml`` file.
        dataset: ``'voc'`` (21 classes) or ``'context'`` (60 classes).
    """
    if dataset not in TAG_TABLES:
        raise ValueError(f'dataset must be one of {sorted(TAG_TABLES)}, got {dataset!r}')
    size, polygons = parse_scribble_xml(path, TAG_TABLES[dataset])
    return draw_scribbles(size, polygons)


def convert_dir(xml_dir: str, out_dir: str, dataset: str = 'voc', overwrite: bool = False) -> Tuple[int, int]:
    """Convert every ``*.xml`` under ``xml_dir`` (recursively) into ``out_dir/<name>.png``.

    Args:
        xml_dir: Folder of PASCAL-Scribble XML files.
        out_dir: Output folder.
        dataset: ``'voc'`` or ``'context'``.
        overwrite: Re-create outputs that already exist (default: skip them, i.e. resume).

    Returns:
        ``(written, skipped)`` counts.
    """
    from mmwsss.utils.io import atomic_save_png
    if not osp.isdir(xml_dir):
        raise FileNotFoundError(f'{xml_dir}: XML folder not found')
    files = sorted(osp.join(d, f) for d, _, fs in os.walk(xml_dir) for f in fs if f.lower().endswith('.xml'))
    if not files:
        raise FileNotFoundError(f'{xml_dir}: no .xml files found')
    written = skipped = 0
    for path in files:
        out = osp.join(out_dir, osp.splitext(osp.basename(path))[0] + '.png')
        if not overwrite and osp.isfile(out):
            skipped += 1
            continue
        atomic_save_png(out, xml_to_label(path, dataset))
        written += 1
    return written, skipped


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('xml_dir', help='folder with PASCAL-Scribble .xml files')
    parser.add_argument('out_dir', help='output folder for the .png label maps (e.g. <data_root>/Scribbles)')
    parser.add_argument('--dataset', choices=sorted(TAG_TABLES), default='voc')
    parser.add_argument('--overwrite', action='store_true', help='re-create existing outputs')
    args = parser.parse_args(argv)
    written, skipped = convert_dir(args.xml_dir, args.out_dir, args.dataset, args.overwrite)
    print(f'{written} written, {skipped} already present, in {args.out_dir}')


if __name__ == '__main__':
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmwsss.utils.cli import tool_main
    tool_main(main)()
