"""Bad inputs in the real formats (truncated PNGs, misspelt label lists, empty splits): errors name the file."""
import numpy as np
import pytest
from PIL import Image

from mmwsss.datasets.transforms.loading import LoadWSSSAnnotations, LoadWSSSImage, read_label_map


def _png(path, shape=(40, 40), mode='L'):
    arr = np.random.default_rng(0).integers(0, 20, shape, dtype=np.uint8)
    Image.fromarray(arr, mode=mode).save(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return str(path)


def test_truncated_label_png(tmp_path):
    path = _png(tmp_path / 'a.png')
    with pytest.raises(ValueError, match=r'a\.png: cannot decode label map .*truncated or corrupt'):
        read_label_map(path)
    t = LoadWSSSAnnotations(check_values=False)
    with pytest.raises(ValueError, match=r'a\.png: cannot decode label map'):
        t(dict(seg_map_path=path, img_path='x.jpg', seg_fields=[]))


def test_truncated_image(tmp_path):
    path = _png(tmp_path / 'img.png', shape=(40, 40, 3), mode='RGB')
    for backend in ('cv2', 'pillow'):
        with pytest.raises(ValueError, match=r'img\.png: cannot decode image'):
            LoadWSSSImage(imdecode_backend=backend)(dict(img_path=path))


def test_context_labels_with_a_misspelt_class(tmp_path):
    from mmwsss.datasets.context import CONTEXT60_CLASSES, context60_lut, convert_context60, read_context_labels
    names = list(CONTEXT60_CLASSES[1:])
    lines = [f'{i + 1}: {n}' for i, n in enumerate(['accordion'] + names)]
    path = tmp_path / 'labels.txt'
    path.write_text('\n'.join(lines) + '\n')
    lut = context60_lut(read_context_labels(str(path)), str(path))  # all 59 found
    assert lut[1] == 0 and lut[2] == 1 and lut.max() == 59
    path.write_text('\n'.join(lines).replace('sheep', 'shep').replace('sidewalk', 'side walk') + '\n')
    with pytest.raises(ValueError, match=r"labels\.txt: 2 of the 59 PASCAL-Context classes have no line: "
                                         r"\['sheep', 'sidewalk'\]"):
        convert_context60(str(tmp_path), str(path))


def test_synthetic_num_train_zero_rejected(tmp_path, capsys):
    import subprocess
    import sys

    from ..conftest import REPO
    proc = subprocess.run([sys.executable, 'tools/dataset_converters/make_synthetic.py', str(tmp_path / 'd'),
                           '--num-train', '0'], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        'error: ValueError: num_train (--num-train) must be >= 1, got 0: an empty train split leaves nothing to '
        'train on  [--debug or MMWSSS_DEBUG=1 shows the traceback]']
    assert not (tmp_path / 'd').exists()
