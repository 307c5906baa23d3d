"""PASCAL-Scribble XML -> PNG converter (BLPSeg experiment/blpseg-voc/train.py): DDA strokes, tags, errors, resume."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    'scribble_xml2png', osp.join(REPO, 'tools', 'dataset_converters', 'scribble_xml2png.py'))
conv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conv)


def _xml(polys, h=20, w=30, name='x.jpg'):
    parts = [f'<annotation><filename>{name}</filename><size><width>{w}</width><height>{h}</height></size>']
    for tag, pts in polys:
        parts.append('<polygon><tag>%s</tag>%s</polygon>' % (
            tag, ''.join(f'<point><X>{x}</X><Y>{y}</Y></point>' for x, y in pts)))
    parts.append('</annotation>')
    return ''.join(parts)


def _loop_reference(size, polygons):
    """Literal per-pixel transcription of the BLPSeg train.py drawing rule (independent of the vectorised code)."""
    h, w = size
    lab = np.full(size, 255, np.uint8)
    for cls, pts in polygons:
        pts = [(min(max(y, 0), h - 1), min(max(x, 0), w - 1)) for x, y in pts]
        for (r1, c1), (r2, c2) in zip(pts[:-1], pts[1:]):
            m = max(abs(r1 - r2), abs(c1 - c2))
            if m > 1:
                for i in range(m):
                    lab[int(r1 + (r2 - r1) / m * i), int(c1 + (c2 - c1) / m * i)] = cls
            lab[r1, c1] = cls
            lab[r2, c2] = cls
    return lab


def test_horizontal_line_and_values(tmp_path):
    p = tmp_path / 'a.xml'
    p.write_text(_xml([('plane', [(2, 5), (12, 5)]), ('background', [(0, 0), (0, 3)])]))
    lab = conv.xml_to_label(str(p), 'voc')
    assert lab.shape == (20, 30) and lab.dtype == np.uint8
    assert (lab[5, 2:13] == 1).all()
    assert (lab[0:4, 0] == 0).all()
    assert (lab == 255).sum() == 20 * 30 - 11 - 4


def test_matches_loop_reference_random(tmp_path):
    rng = np.random.default_rng(0)
    tags = list(conv.VOC_TAGS)
    polys = []
    for _ in range(12):
        n = int(rng.integers(1, 6))
        pts = [(int(rng.integers(-5, 45)), int(rng.integers(-5, 35))) for _ in range(n)]
        polys.append((tags[int(rng.integers(0, 21))], pts))
    p = tmp_path / 'r.xml'
    p.write_text(_xml(polys, h=30, w=40))
    lab = conv.xml_to_label(str(p), 'voc')
    ref = _loop_reference((30, 40), [(conv.VOC_TAGS.index(t), pts) for t, pts in polys])
    np.testing.assert_array_equal(lab, ref)


def test_one_pixel_strokes_no_dilation_and_overwrite(tmp_path):
    p = tmp_path / 'd.xml'
    p.write_text(_xml([('cat', [(0, 0), (19, 19)]), ('dog', [(0, 19), (19, 0)]), ('bus', [(7, 7)]),
                       ('cow', [(0, 5), (19, 5)]), ('horse', [(7, 0), (7, 19)])]))
    lab = conv.xml_to_label(str(p), 'voc')
    # 1-px diagonals (no dilation): one pixel per row for each of the two diagonal polylines
    assert ((lab == 8).sum(1) <= 1).all() and ((lab == 12).sum(1) <= 1).all()
    assert (lab == 10).sum() == 19 and (lab == 13).sum() == 20  # horse (later) overwrote cow at (5, 7)
    assert lab[5, 7] == 13
    assert (lab == 6).sum() == 0  # a one-point polygon draws nothing (as in the original)


def test_context_tags(tmp_path):
    p = tmp_path / 'c.xml'
    p.write_text(_xml([('wood', [(1, 1), (4, 1)]), ('sky', [(1, 3), (4, 3)]), ('monitor', [(1, 5), (4, 5)])]))
    lab = conv.xml_to_label(str(p), 'context')
    assert lab[1, 2] == 59 and lab[3, 2] == 50 and lab[5, 2] == 20
    with pytest.raises(ValueError, match=r'c\.xml.*unknown tag \'wood\''):
        conv.xml_to_label(str(p), 'voc')


@pytest.mark.parametrize('text,msg', [
    ('<annotation><size><width>3</width></size></annotation>', 'has no <height>'),
    ('<annotation>', 'not a valid XML'),
    ('<annotation><polygon/></annotation>', 'no <size>'),
    (_xml([('cat', [('a', 1)])]), 'X is not a number'),
    (_xml([], h=0), 'must be positive'),
])
def test_bad_input_names_file(tmp_path, text, msg):
    p = tmp_path / 'bad.xml'
    p.write_text(text)
    with pytest.raises(ValueError, match=msg) as e:
        conv.xml_to_label(str(p), 'voc')
    assert str(p) in str(e.value)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match='nope.xml'):
        conv.xml_to_label('/nonexistent/nope.xml')


def test_convert_dir_and_resume(tmp_path):
    src = tmp_path / 'xml'
    (src / 'sub').mkdir(parents=True)
    (src / 'i1.xml').write_text(_xml([('sheep', [(0, 0), (9, 0)])]))
    (src / 'sub' / 'i2.xml').write_text(_xml([('train', [(0, 1), (0, 9)])]))
    out = tmp_path / 'png'
    conv.main([str(src), str(out)])
    a = np.array(Image.open(out / 'i1.png'))
    b = np.array(Image.open(out / 'i2.png'))
    assert a[0, :10].tolist() == [17] * 10 and b[1:10, 0].tolist() == [19] * 9
    assert set(np.unique(a).tolist()) == {17, 255}
    # resume: existing outputs are kept, --overwrite rewrites them
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(out / 'i1.png')
    assert conv.convert_dir(str(src), str(out), 'voc') == (0, 2)
    assert np.array(Image.open(out / 'i1.png')).shape == (2, 2)
    assert conv.convert_dir(str(src), str(out), 'voc', overwrite=True) == (2, 0)
    assert np.array(Image.open(out / 'i1.png')).shape == (20, 30)
    with pytest.raises(FileNotFoundError, match='no .xml files'):
        conv.convert_dir(str(out), str(tmp_path / 'o2'))
