"""Every CRF caller against the pydensecrf call of its original: image channel order, unary, parameters.

The originals (all RGB images, uint8, original resolution):
  SEC ``deploy/demo.py``: ``CRF(im, log(max(p, 1e-5)), scale_factor=1)``: bilateral 10 / 80 / 13, gaussian 3 / 3, 10 it.
  wsscoseg ``cores/utils/CRF.py``: unary ``-log(sum_s p_s)``, gaussian 3 / 2, bilateral 4 / 55 / 3, 10 it.
  BLPSeg ``lib/utils/DenseCRF.py``: ``unary_from_softmax(p)``, gaussian 3 / 3, bilateral 10 / 32 / 13, 1 it.
  IRN/W-OoD ``misc/imutils.py`` ``crf_inference_label``: ``unary_from_labels(gt_prob=0.7)``, gaussian 3 / 3,
  bilateral 10 / 50 / 5, 10 it.
(SEC's training CRF, fed in BGR order: ``tests/models/test_sec_losses.py``.)
"""
import numpy as np
import pytest
import torch

dcrf = pytest.importorskip('pydensecrf.densecrf')


def _case(h=40, w=48, c=4, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([(xx * 5) % 256, (yy * 7) % 256, ((xx + yy) * 3) % 256], -1).astype(np.float64)
    rgb = (rgb + rng.normal(0, 8, rgb.shape)).clip(0, 255).astype(np.uint8)
    logits = torch.nn.functional.interpolate(torch.from_numpy(rng.normal(0, 2, (1, c, 5, 6)).astype(np.float32)),
                                             size=(h, w), mode='bilinear', align_corners=False)[0]
    return rgb, torch.softmax(logits, 0).numpy()


def _pd(unary, rgb, gauss, bil, iters):
    c, h, w = unary.shape
    d = dcrf.DenseCRF2D(w, h, c)
    d.setUnaryEnergy(np.ascontiguousarray(unary.reshape(c, -1).astype(np.float32)))
    d.addPairwiseGaussian(sxy=gauss[1], compat=gauss[0])
    d.addPairwiseBilateral(sxy=bil[1], srgb=bil[2], rgbim=np.ascontiguousarray(rgb), compat=bil[0])
    return np.array(d.inference(iters), np.float32).reshape(c, h, w)


def test_wsscoseg_test_crf():
    from mmwsss.crf import crf_postprocess
    rgb, p = _case()
    p_scales = [p, np.roll(p, 1, axis=2), np.roll(p, -1, axis=1)]  # three scales, summed by the original
    ref = _pd(-np.log(sum(p_scales)), rgb, (3, 2), (4, 55, 3), 10)
    got = crf_postprocess(sum(p_scales) / 3, rgb, preset='wsscoseg', backend='pydensecrf')  # callers pass the mean
    assert np.abs(got - ref).max() < 1e-5


def test_blpseg_test_crf():
    from pydensecrf.utils import unary_from_softmax

    from mmwsss.crf import crf_postprocess
    rgb, p = _case(seed=1)
    chw = rgb.transpose(2, 0, 1)  # test.py hands the de-normalised CHW input; DenseCRF.py transposes it back
    ref = _pd(unary_from_softmax(p).reshape(p.shape), np.transpose(chw, (1, 2, 0)).copy(), (3, 3), (10, 32, 13), 1)
    got = crf_postprocess(p, rgb, preset='blpseg', backend='pydensecrf')
    assert np.abs(got - ref).max() < 1e-5


def test_irn_confident_seed_crf():
    from pydensecrf.utils import unary_from_labels

    from mmwsss.crf import crf_refine_labels
    rgb, p = _case(seed=2)
    lab = p.argmax(0)
    ref = _pd(unary_from_labels(lab, 4, gt_prob=0.7, zero_unsure=False).reshape(4, *lab.shape), rgb, (3, 3),
              (10, 50, 5), 10).argmax(0)
    got = np.asarray(crf_refine_labels(lab, rgb, 4, preset='irn', backend='pydensecrf')).argmax(0)
    np.testing.assert_array_equal(got, ref)


def test_sec_test_crf_reads_the_original_rgb_image(tmp_path):
    """SECSegmentor.predict: clip 1e-5, -log p, CRF on the RGB image read from img_path (demo.py)."""
    import cv2
    from mmseg.structures import SegDataSample

    from tests.models.test_sec_losses import _tiny_segmentor
    rgb, _ = _case(24, 20, 3, seed=3)
    path = str(tmp_path / 'img.png')
    cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1]))  # on disk as any image file
    model = _tiny_segmentor([dict(type='SECSeedLoss')], crf='sec_test').eval()
    model.test_cfg['crf_backend'] = 'pydensecrf'
    s = SegDataSample(metainfo=dict(img_shape=(33, 33), ori_shape=(24, 20), img_path=path))
    x = torch.randn(1, 3, 33, 33)
    with torch.no_grad():
        (out, ) = model.predict(x, [s])
        model.test_cfg['crf'] = None
        (plain, ) = model.predict(x, [SegDataSample(metainfo=dict(s.metainfo))])
    p = plain.seg_logits.data.exp().numpy()
    ref = _pd(-np.log(np.maximum(p, 1e-5)), rgb, (3, 3), (10, 80, 13), 10)
    assert np.abs(out.seg_logits.data.exp().numpy() - ref).max() < 1e-5
    bgr_ref = _pd(-np.log(np.maximum(p, 1e-5)), np.ascontiguousarray(rgb[..., ::-1]), (3, 3), (10, 80, 13), 10)
    assert np.abs(bgr_ref - ref).max() > 1e-6  # the order is visible at this precision
