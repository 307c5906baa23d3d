"""Tests of the embedded synthetic weak-supervision dataset generator (mmwsss.datasets.synthetic)."""
import importlib.util
import json
import multiprocessing as mp
import os
import re
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def _import_synthetic():
    """The package itself; loaded by path when ``mmwsss.datasets`` cannot import its OpenMMLab deps."""
    try:
        import mmwsss.datasets.synthetic as mod
        return mod
    except ImportError:
        d = os.path.join(ROOT, 'mmwsss', 'datasets', 'synthetic')
        spec = importlib.util.spec_from_file_location('mmwsss_synthetic_standalone', os.path.join(d, '__init__.py'),
                                                      submodule_search_locations=[d])
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
        return mod


syn = _import_synthetic()
SMALL = dict(image_size=64, num_train=20, num_val=8, num_web_per_class=3, num_ood=6)
MEDIUM = dict(image_size=64, num_train=200, num_val=40, num_web_per_class=12, num_ood=12)


def _gen(path, **kw):
    return syn.generate_synthetic_dataset(str(path), verbose=False, **kw)


@pytest.fixture(scope='module')
def small(tmp_path_factory):
    return _gen(tmp_path_factory.mktemp('small') / 'ds', **SMALL)


@pytest.fixture(scope='module')
def medium(tmp_path_factory):
    return _gen(tmp_path_factory.mktemp('medium') / 'ds', **MEDIUM)


def _lines(path):
    with open(path) as f:
        return [line.rstrip('\n') for line in f if line.strip()]


def _ids(root, split):
    return _lines(os.path.join(root, 'ImageSets', 'Segmentation', f'{split}.txt'))


def _png(path):
    return np.array(Image.open(path))


def _tree_bytes(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, 'rb') as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


def _coco_masks(root, split):
    with open(os.path.join(root, 'annotations', f'instances_{split}.json')) as f:
        coco = json.load(f)
    by_img = {}
    names = {im['id']: im['file_name'][:-4] for im in coco['images']}
    for a in coco['annotations']:
        by_img.setdefault(names[a['image_id']], []).append(a)
    return coco, by_img


# ------------------------------------------------------------------------------------------ basics
def test_palette_and_classes():
    pal = syn.voc_palette_flat()
    assert len(pal) == 768
    assert syn.SYNTH_CLASSES == ('background', 'train', 'boat', 'aeroplane', 'sheep', 'bottle', 'tvmonitor')
    assert syn.SYNTH_PALETTE == [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128],
                                 [0, 128, 128]]
    assert pal[255 * 3:] == [224, 224, 192]  # VOC void colour


def test_rle_roundtrip_and_pycocotools():
    rng = np.random.default_rng(0)
    for shape in [(5, 7), (32, 17), (1, 1)]:
        for fill in (0.0, 0.3, 1.0):
            m = rng.random(shape) < fill
            rle = syn.encode_rle(m)
            assert rle['size'] == list(shape) and sum(rle['counts']) == m.size
            np.testing.assert_array_equal(syn.decode_rle(rle), m)
    m = np.zeros((4, 3), bool)
    m[1:3, 1] = True  # column-major: col0 = 4 zeros, col1 = 0 1 1 0, col2 = 4 zeros
    assert syn.encode_rle(m)['counts'] == [5, 2, 5]
    assert syn.mask_bbox(m) == [1, 1, 1, 2]
    with pytest.raises(ValueError, match='counts sum'):
        syn.decode_rle({'size': [4, 3], 'counts': [5, 2]})
    try:
        from pycocotools import mask as mask_utils
    except ImportError:
        return
    m = rng.random((20, 13)) < 0.4
    coco = mask_utils.decode(mask_utils.frPyObjects(syn.encode_rle(m), 20, 13))
    np.testing.assert_array_equal(coco.astype(bool), m)


def test_make_labels_occlusion_and_void_band():
    ids = np.zeros((20, 20), np.int32)
    ids[2:12, 2:12] = 1           # large, partly occluded by 2
    ids[8:16, 8:16] = 2           # front object
    ids[0:3, 17:20] = 3           # 9 px: tiny -> void
    ids[15:19, 0:6] = 4
    ids[15:19, 0:6] = 5           # 4 fully occluded by 5 -> dropped
    lab = syn.make_labels(ids, [4, 4, 2, 1, 6], void_border=1)
    assert lab['classes'] == [4, 4, 6]                 # renumbered 1..3 in drawing order
    obj, cls = lab['obj'], lab['cls']
    assert (obj[0:3, 17:20] == 255).all() and (cls[0:3, 17:20] == 255).all()
    # the band sits on the lower-id side: the front instance keeps its full extent
    assert (obj[8:16, 8:16] == 2).all()
    assert (obj[7, 8:12] == 255).all() and (obj[8:12, 7] == 255).all()  # occluded side of 1
    assert obj[1, 5] == 255 and obj[5, 5] == 1 and obj[2, 5] == 1        # outer band on background
    np.testing.assert_array_equal(obj == 255, cls == 255)
    np.testing.assert_array_equal(lab['visible'][0], (ids == 1))
    lab0 = syn.make_labels(ids, [4, 4, 2, 1, 6], void_border=0)
    assert set(np.unique(lab0['obj'])) == {0, 1, 2, 3, 255}  # only the tiny instance is void
    assert (lab0['obj'] == 255).sum() == 9


def test_center_point_is_nearest_to_centroid():
    vis = np.zeros((10, 10), bool)
    vis[2:5, 1:9] = True
    vis[5:9, 1:3] = True  # an L: centroid may fall outside the shape
    x, y = syn.center_point(vis, vis)
    assert vis[y, x]
    ys, xs = np.nonzero(vis)
    d = (ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2
    assert (y - ys.mean()) ** 2 + (x - xs.mean()) ** 2 == pytest.approx(d.min())


def test_bad_parameters():
    with pytest.raises(ValueError, match='image_size'):
        syn.generate_synthetic_dataset('/tmp/never_written_synth', image_size=8)
    with pytest.raises(TypeError, match='unknown'):
        syn.ensure_synthetic_dataset('/tmp/never_written_synth', imagesize=64)
    assert not os.path.exists('/tmp/never_written_synth')


# ---------------------------------------------------------------------------------- determinism
def test_determinism(small, tmp_path):
    again = _gen(tmp_path / 'again', **SMALL)
    a, b = _tree_bytes(small), _tree_bytes(again)
    assert sorted(a) == sorted(b)
    assert all(a[k] == b[k] for k in a)
    other = _gen(tmp_path / 'other', seed=1, **SMALL)
    c = _tree_bytes(other)
    jpgs = [k for k in a if k.endswith('.jpg')]
    assert sum(a[k] != c[k] for k in jpgs) >= 0.9 * len(jpgs)
    # an image does not depend on how many others are generated
    fewer = _gen(tmp_path / 'fewer', **dict(SMALL, num_train=5, num_val=2))
    d = _tree_bytes(fewer)
    assert d['JPEGImages/synth_train_000004.jpg'] == a['JPEGImages/synth_train_000004.jpg']
    assert d['Scribbles/synth_val_000001.png'] == a['Scribbles/synth_val_000001.png']


# ------------------------------------------------------------------------------------ the layout
def test_layout_and_consistency(small):
    root = small
    with open(os.path.join(root, 'meta.json')) as f:
        meta = json.load(f)
    assert meta['classes'] == list(syn.SYNTH_CLASSES) and meta['palette'] == syn.SYNTH_PALETTE
    assert meta['seed'] == 0 and meta['generator'] == syn.GENERATOR_VERSION
    assert meta['params']['image_size'] == 64 and meta['params']['void_border'] == 1
    for split, n in (('train', 20), ('val', 8)):
        ids = _ids(root, split)
        assert ids == [f'synth_{split}_{i:06d}' for i in range(n)]
        cls_lines = {l.split()[0]: [int(v) for v in l.split()[1:]]
                     for l in _lines(os.path.join(root, 'ImageSets', 'Segmentation', f'{split}_cls.txt'))}
        assert list(cls_lines) == ids
        coco, anns = _coco_masks(root, split)
        assert [c['id'] for c in coco['categories']] == [1, 2, 3, 4, 5, 6]
        assert [c['name'] for c in coco['categories']] == list(syn.SYNTH_CLASSES[1:])
        assert len(coco['images']) == n
        for name in ids:
            img = Image.open(os.path.join(root, 'JPEGImages', name + '.jpg'))
            assert img.mode == 'RGB' and img.size == (64, 64) and img.format == 'JPEG'
            ci = Image.open(os.path.join(root, 'SegmentationClass', name + '.png'))
            oi = Image.open(os.path.join(root, 'SegmentationObject', name + '.png'))
            assert ci.mode == 'P' and oi.mode == 'P'
            assert ci.getpalette()[:21] == sum(syn.SYNTH_PALETTE, [])
            cls, obj = np.array(ci), np.array(oi)
            assert set(np.unique(cls)) <= set(range(7)) | {255}
            np.testing.assert_array_equal(cls == 255, obj == 255)
            np.testing.assert_array_equal(cls == 0, obj == 0)
            inst = [k for k in np.unique(obj) if k not in (0, 255)]
            assert inst == list(range(1, len(inst) + 1)) and inst, name
            inst_cls = {}
            for k in inst:
                vals = np.unique(cls[obj == k])
                assert len(vals) == 1, (name, k, vals)  # one class per instance
                inst_cls[k] = int(vals[0])
            present = sorted({c - 1 for c in np.unique(cls) if 0 < c < 255})
            assert cls_lines[name] == present
            # COCO RLE decodes to the visible instance mask (void band aside)
            a_list = anns.get(name, [])
            assert len(a_list) == len(inst)
            for k, a in enumerate(a_list, start=1):
                m = syn.decode_rle(a['segmentation'])
                assert a['category_id'] == inst_cls[k] and a['iscrowd'] == 0
                assert (m[obj == k]).all() and not (m & (obj != k) & (obj != 255)).any()
                assert a['area'] == int(m.sum()) and a['bbox'] == syn.mask_bbox(m)
            # points: one per instance, inside it, with its 0-based class
            pts = _lines(os.path.join(root, 'Center_points', name + '.txt'))
            assert len(pts) == len(inst)
            for k, line in enumerate(pts, start=1):
                assert re.fullmatch(r'\d+ \d+ \d+ 1\.000', line), line
                x, y, c, _ = line.split()
                assert obj[int(y), int(x)] == k and int(c) == inst_cls[k] - 1
            # scribbles: class of the pixel under the stroke, 255 elsewhere
            si = Image.open(os.path.join(root, 'Scribbles', name + '.png'))
            scr = np.array(si)
            assert si.mode == 'L' and scr.shape == (64, 64)
            lab = scr != 255
            assert set(np.unique(scr)) <= set(range(7)) | {255}
            np.testing.assert_array_equal(scr[lab], cls[lab])
            assert (scr == 0).any()  # background strokes
    # web images
    names = _lines(os.path.join(root, 'web_train_list.txt'))
    assert len(names) == 6 * 3
    for n in names:
        assert re.fullmatch(r'[1-6]_\d{6}', n)
        c = int(n.split('_')[0])
        assert Image.open(os.path.join(root, 'web_images', n + '.jpg')).size == (64, 64)
        for d in ('web_labels', 'web_labels_gt'):
            lab = _png(os.path.join(root, d, n + '.png'))
            assert set(np.unique(lab)) == {0, c}
    # OoD images
    ood = _lines(os.path.join(root, 'ood_list.txt'))
    assert ood == [f'ood_{i:06d}.jpg' for i in range(6)]
    for n in ood:
        assert Image.open(os.path.join(root, 'ood_images', n)).mode == 'RGB'


def test_void_border_zero(tmp_path):
    root = _gen(tmp_path / 'vb0', **dict(SMALL, num_train=6, num_val=0, num_web_per_class=0, num_ood=0,
                                         void_border=0))
    _, anns = _coco_masks(root, 'train')
    for name in _ids(root, 'train'):
        obj = _png(os.path.join(root, 'SegmentationObject', name + '.png'))
        for k, a in enumerate(anns[name], start=1):
            np.testing.assert_array_equal(syn.decode_rle(a['segmentation']), obj == k)


# ------------------------------------------------------------------------------------ phenomena
def test_scribbles_prefer_the_interior(medium):
    root = medium
    s_dt, o_dt, n_s, n_o, rim_s, rim_o = [], [], 0, 0, 0, 0
    missed_small, small = 0, 0
    bg_s, bg_o = [], []
    for name in _ids(root, 'train'):
        obj = _png(os.path.join(root, 'SegmentationObject', name + '.png'))
        cls = _png(os.path.join(root, 'SegmentationClass', name + '.png'))
        scr = _png(os.path.join(root, 'Scribbles', name + '.png'))
        for k in np.unique(obj):
            if k in (0, 255):
                continue
            m = obj == k
            dt = syn.region_distance(m)
            st = m & (scr != 255)
            if dt.max() < 3:
                small += 1
                missed_small += not st.any()
            n_s += st.sum()
            n_o += m.sum()
            s_dt.append(dt[st].sum())
            o_dt.append(dt[m].sum())
            rim_s += (st & (dt <= 1.5)).sum()
            rim_o += (m & (dt <= 1.5)).sum()
        bg = cls == 0
        dt = syn.region_distance(bg)
        bg_s.append(dt[bg & (scr == 0)].mean())
        bg_o.append(dt[bg].mean())
    mean_s, mean_o = sum(s_dt) / n_s, sum(o_dt) / n_o
    coverage = n_s / n_o
    print(f'scribble mean dist {mean_s:.2f} vs object {mean_o:.2f}; coverage {coverage:.3f}; '
          f'rim share {rim_s / n_s:.3f} vs {rim_o / n_o:.3f}; small missed {missed_small}/{small}')
    assert mean_s > 1.4 * mean_o
    assert 0.01 < coverage < 0.08
    assert rim_s / n_s < 0.5 * rim_o / n_o  # strokes rarely touch the object's outline
    assert np.mean(bg_s) > np.mean(bg_o)
    assert small > 10 and 0 < missed_small / small < 0.35


def test_context_statistics(medium):
    s = syn.summarize_dataset(medium)
    ctx = s['context']
    for c, name in ((1, 'train'), (2, 'boat'), (3, 'aeroplane')):
        key = f'{syn.CLASS_CONTEXT[c]}|{name}'
        assert ctx[key]['n_with'] >= 20
        assert ctx[key]['with'] >= 0.85, (key, ctx[key])
        assert ctx[key]['without'] <= 0.15, (key, ctx[key])
    assert 1.3 <= s['mean_objects'] <= 3.0
    assert 0.15 <= s['multi_class_fraction'] <= 0.4
    assert min(s['class_images'].values()) >= 20
    # the contexts are really drawn: water and sky make the background blue
    with open(os.path.join(medium, 'contexts.json')) as f:
        contexts = json.load(f)['train']
    blue_with, blue_without = [], []
    for name in _ids(medium, 'train'):
        img = np.array(Image.open(os.path.join(medium, 'JPEGImages', name + '.jpg'))).astype(int)
        bg = _png(os.path.join(medium, 'SegmentationClass', name + '.png')) == 0
        blue = (img[..., 2] > img[..., 0] + 40) & bg
        frac = blue.sum() / bg.sum()
        (blue_with if {'water', 'sky'} & set(contexts[name]) else blue_without).append(frac)
    assert np.mean(blue_with) > 0.3 and np.mean(blue_without) < 0.05


def test_touching_instances_of_one_class(medium):
    _, anns = _coco_masks(medium, 'train')
    kernel = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8)
    touching_sheep, sheep = 0, 0
    for name, alist in anns.items():
        masks = [(a['category_id'], syn.decode_rle(a['segmentation'])) for a in alist]
        for i, (ci, mi) in enumerate(masks):
            grown = cv2.dilate(mi.astype(np.uint8), kernel) > 0
            touch = any(cj == ci and (grown & mj).any() for j, (cj, mj) in enumerate(masks) if j != i)
            if ci == 4:
                sheep += 1
                touching_sheep += touch
    assert sheep >= 30 and touching_sheep / sheep >= 0.6


def test_object_sizes_span_small_to_large(medium):
    coco, _ = _coco_masks(medium, 'train')
    ext = np.array([max(a['bbox'][2], a['bbox'][3]) for a in coco['annotations']]) / 64.0
    assert ext.min() <= 0.15 and ext.max() >= 0.6
    assert (ext < 0.25).mean() > 0.15 and (ext > 0.45).mean() > 0.1


def test_web_masks_are_imperfect_like_coseg(medium):
    ious = []
    for n in _lines(os.path.join(medium, 'web_train_list.txt')):
        noisy = _png(os.path.join(medium, 'web_labels', n + '.png')) > 0
        gt = _png(os.path.join(medium, 'web_labels_gt', n + '.png')) > 0
        assert gt.sum() >= 0.04 * gt.size  # one dominant object
        ious.append((noisy & gt).sum() / (noisy | gt).sum())
    ious = np.array(ious)
    print(f'web IoU mean {ious.mean():.3f} min {ious.min():.3f} max {ious.max():.3f}')
    assert 0.78 <= ious.mean() <= 0.92
    assert ious.min() >= 0.5 and ious.max() < 0.99


def test_ood_images_contain_no_class_object(medium, monkeypatch):
    def boom(rng, s):
        raise AssertionError('a class object was drawn into an OoD image')
    for c in list(syn.scenes.OBJECT_DRAWERS):
        monkeypatch.setitem(syn.scenes.OBJECT_DRAWERS, c, boom)
    for i in range(12):
        out = syn.render_ood(0, i, 64)
        assert out['image'].shape == (64, 64, 3)
    with open(os.path.join(medium, 'contexts.json')) as f:
        ood_ctx = json.load(f)['ood']
    assert len(ood_ctx) == 12 and sum(bool(v) for v in ood_ctx.values()) >= 8
    # OoD images are not listed in any labelled split
    listed = set(_ids(medium, 'train')) | set(_ids(medium, 'val'))
    assert not listed & {n[:-4] for n in _lines(os.path.join(medium, 'ood_list.txt'))}


# -------------------------------------------------------------------------- ensure / safety
def _ensure_worker(root):
    syn.ensure_synthetic_dataset(root, verbose=False, **dict(SMALL, num_train=8, num_val=4))


def test_ensure_concurrent_processes(tmp_path):
    root = str(tmp_path / 'shared' / 'ds')
    ctx = mp.get_context('fork')
    procs = [ctx.Process(target=_ensure_worker, args=(root,)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert len(_ids(root, 'train')) == 8 and len(os.listdir(os.path.join(root, 'JPEGImages'))) == 12
    leftovers = [n for n in os.listdir(tmp_path / 'shared') if n not in ('ds', '.ds.lock')]
    assert leftovers == []
    mtime = os.stat(os.path.join(root, 'meta.json')).st_mtime_ns
    assert syn.ensure_synthetic_dataset(root, verbose=False, **dict(SMALL, num_train=8, num_val=4)) == root
    assert os.stat(os.path.join(root, 'meta.json')).st_mtime_ns == mtime  # not regenerated


def test_refuses_to_overwrite_foreign_data(tmp_path):
    root = tmp_path / 'user'
    root.mkdir()
    (root / 'notes.txt').write_text('precious')
    with pytest.raises(FileExistsError, match=re.escape(str(root))):
        syn.ensure_synthetic_dataset(str(root), verbose=False, **SMALL)
    with pytest.raises(FileExistsError, match='user data.*absent or empty folder'):
        syn.generate_synthetic_dataset(str(root), overwrite=True, verbose=False, **SMALL)
    assert os.listdir(root) == ['notes.txt'] and (root / 'notes.txt').read_text() == 'precious'


def test_existing_generated_dataset_rules(tmp_path):
    tiny = dict(image_size=48, num_train=3, num_val=1, num_web_per_class=1, num_ood=1)
    empty = tmp_path / 'empty'
    empty.mkdir()
    root = syn.ensure_synthetic_dataset(str(empty), verbose=False, **tiny)  # an empty dir is fine
    assert os.path.isfile(os.path.join(root, 'meta.json'))
    with pytest.raises(ValueError, match='pass another, absent or empty data_root') as e:
        syn.ensure_synthetic_dataset(root, verbose=False, **dict(tiny, seed=3))
    assert 'overwrite' not in str(e.value)  # the error suggests the safe action only
    with pytest.raises(FileExistsError, match='overwrite=True'):
        syn.generate_synthetic_dataset(root, verbose=False, **tiny)
    syn.generate_synthetic_dataset(root, overwrite=True, verbose=False, **dict(tiny, seed=3))
    with open(os.path.join(root, 'meta.json')) as f:
        assert json.load(f)['seed'] == 3
    assert sorted(os.listdir(tmp_path)) == ['.empty.lock', 'empty']


def test_make_synthetic_tool(tmp_path, capsys, monkeypatch):
    path = os.path.join(ROOT, 'tools', 'dataset_converters', 'make_synthetic.py')
    spec = importlib.util.spec_from_file_location('make_synthetic_tool', path)
    tool = importlib.util.module_from_spec(spec)
    if 'mmwsss.datasets.synthetic' not in sys.modules:  # standalone-loaded package (no OpenMMLab stack)
        monkeypatch.setitem(sys.modules, 'mmwsss.datasets.synthetic', syn)
    spec.loader.exec_module(tool)
    root = str(tmp_path / 'ds')
    assert tool.main([root, '--image-size', '48', '--num-train', '12', '--num-val', '4', '--num-web-per-class',
                      '1', '--num-ood', '2', '--seed', '5']) == 0
    out = capsys.readouterr().out
    assert '[synthetic] train: 12 images' in out
    assert 'mean objects per image' in out and 'P(context | class present)' in out
    rows = {}
    for line in out.splitlines():  # first table: class, images, instances
        if line.split() and line.split()[0] in syn.SYNTH_CLASSES:
            rows.setdefault(line.split()[0], line)
    assert set(rows) >= set(syn.SYNTH_CLASSES[1:])
    s = syn.summarize_dataset(root)
    assert int(rows['sheep'].split()[1]) == s['class_images']['sheep']
    assert tool.main([root, '--image-size', '48', '--num-train', '12', '--num-val', '4', '--num-web-per-class',
                      '1', '--num-ood', '2', '--seed', '5', '--quiet']) == 0  # existing set kept


# ------------------------------------------------------------------------------- pretraining stand-in
def test_pretrain_dataset_layout_and_context_independence(tmp_path):
    root = syn.generate_pretrain_dataset(str(tmp_path / 'pre'), image_size=64, num_per_class=30, verbose=False)
    ids = _ids(root, 'train')
    assert len(ids) == 6 * 30 and len(set(ids)) == len(ids)
    labels = {line.split()[0]: [int(v) for v in line.split()[1:]]
              for line in _lines(os.path.join(root, 'ImageSets', 'Segmentation', 'train_cls.txt'))}
    with open(os.path.join(root, 'contexts.json')) as f:
        contexts = json.load(f)['train']
    for name in ids:
        cls = int(name.split('_')[1])
        assert labels[name] == [cls - 1]  # one object, the class in the name
        img = np.array(Image.open(os.path.join(root, 'JPEGImages', name + '.jpg')))
        mask = _png(os.path.join(root, 'SegmentationClass', name + '.png'))
        assert img.shape == (64, 64, 3) and mask.shape == (64, 64)
        assert set(np.unique(mask).tolist()) == {0, cls}
        assert (mask == cls).mean() >= 0.03
    # unlike the target set (P(context | class) 0.95 / 0.05), the context says nothing about the class:
    # each class's own context appears about as often with it as with the other classes
    for c, ctx in syn.CLASS_CONTEXT.items():
        own = np.mean([ctx in contexts[n] for n in ids if int(n.split('_')[1]) == c])
        other = np.mean([ctx in contexts[n] for n in ids if int(n.split('_')[1]) != c])
        assert abs(own - other) < 0.25, (ctx, own, other)
        assert 0.1 < other < 0.6
    with open(os.path.join(root, 'meta.json')) as f:
        meta = json.load(f)
    assert meta['generator'] == syn.PRETRAIN_VERSION and meta['sizes']['train'] == 180


def test_pretrain_dataset_determinism_and_ensure_rules(tmp_path):
    kw = dict(image_size=48, num_per_class=2)
    a = syn.ensure_pretrain_dataset(str(tmp_path / 'a'), verbose=False, **kw)
    b = syn.generate_pretrain_dataset(str(tmp_path / 'b'), verbose=False, **kw)
    assert _tree_bytes(a) == _tree_bytes(b)
    assert syn.ensure_pretrain_dataset(a, verbose=False, **kw) == a  # found, not regenerated
    with pytest.raises(ValueError, match='generate_pretrain_dataset'):
        syn.ensure_pretrain_dataset(a, verbose=False, **dict(kw, seed=1))
    # the target dataset and the stand-in never take each other's place
    with pytest.raises(ValueError, match=syn.PRETRAIN_VERSION):
        syn.ensure_synthetic_dataset(a, verbose=False, image_size=48, num_train=2, num_val=1,
                                     num_web_per_class=1, num_ood=1)
    with pytest.raises(ValueError, match='num_per_class'):
        syn.generate_pretrain_dataset(str(tmp_path / 'c'), num_per_class=0, verbose=False)
    with pytest.raises(TypeError, match='image_size'):
        syn.generate_pretrain_dataset(str(tmp_path / 'c'), image_size=64.0, verbose=False)
