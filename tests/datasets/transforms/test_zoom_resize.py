"""ZoomResize = SEC's test-time ``scipy.ndimage.zoom(order=1)`` warp (``deploy/demo.py``)."""
import numpy as np
import pytest
import torch
from scipy import ndimage


def _textured(h=375, w=500, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    img = 127 + 60 * np.sin(xx / 3.0)[..., None] * np.cos(yy / 5.0)[..., None] + rng.normal(0, 25, (h, w, 3))
    return img.clip(0, 255).astype(np.uint8)


def test_zoom_resize_equals_secs_preprocessing_and_differs_from_cv2():
    import mmcv

    from mmwsss.datasets.transforms import ZoomResize
    img = _textured()
    out = ZoomResize(scale=(321, 321)).transform(dict(img=img.copy(), img_path='x.jpg', seg_fields=[]))
    ref = ndimage.zoom(img.astype('float32'), (321 / 375, 321 / 500, 1.0), order=1)  # deploy/demo.py
    assert out['img'].dtype == np.float32 and out['img'].shape == (321, 321, 3)
    np.testing.assert_array_equal(out['img'], ref)
    assert out['img_shape'] == (321, 321) and out['scale_factor'] == pytest.approx((321 / 500, 321 / 375))
    # an independent corner-aligned bilinear (torch, float64) agrees: the sampling grid is the same
    t = torch.nn.functional.interpolate(torch.from_numpy(img).permute(2, 0, 1)[None].double(), size=(321, 321),
                                        mode='bilinear', align_corners=True)[0].permute(1, 2, 0).numpy()
    assert np.abs(t - ref).max() < 1e-3
    # mmseg's Resize (cv2, pixel centres, uint8) shows the network a different image
    cv = mmcv.imresize(img, (321, 321)).astype(np.float32)
    assert np.abs(cv - ref).max() > 20


def test_zoom_resize_in_the_sec_test_pipeline_gives_secs_blob():
    """Loaded BGR -> ZoomResize -> pack -> SegDataPreProcessor(mean 104/117/123, BGR kept) == SEC's blob."""
    from mmseg.models.data_preprocessor import SegDataPreProcessor

    from mmwsss.datasets.transforms import PackWSSSInputs, ZoomResize
    rgb = _textured(200, 150, seed=1)
    results = dict(img=np.ascontiguousarray(rgb[..., ::-1]), img_path='x.jpg', ori_shape=(200, 150),
                   img_shape=(200, 150), seg_fields=[])
    results = PackWSSSInputs()(ZoomResize(321)(results))
    pre = SegDataPreProcessor(mean=[104.0, 117.0, 123.0], std=[1.0, 1.0, 1.0], bgr_to_rgb=False)
    x = pre(dict(inputs=[results['inputs']], data_samples=[results['data_samples']]), False)['inputs'][0]
    # deploy/demo.py preprocess(): zoom the RGB image, reverse the channels, subtract the mean
    blob = ndimage.zoom(rgb.astype('float32'), (321 / 200, 321 / 150, 1.0), order=1)[:, :, [2, 1, 0]]
    blob = (blob - np.array([104.0, 117.0, 123.0])).transpose(2, 0, 1)
    assert np.abs(x.numpy() - blob).max() < 1e-4


def test_zoom_resize_rejects_labels_loaded_before_it():
    from mmwsss.datasets.transforms import ZoomResize
    with pytest.raises(ValueError, match='a.jpg.*gt_seg_map'):
        ZoomResize(8).transform(dict(img=np.zeros((4, 4, 3), np.uint8), img_path='a.jpg',
                                     gt_seg_map=np.zeros((4, 4), np.uint8), seg_fields=['gt_seg_map']))
    with pytest.raises(ValueError, match='scale'):
        ZoomResize((0, 4))


def test_sec_upsampling_matches_scipy_zoom_of_the_float32_softmax():
    """SEC zooms the float32 softmax with scipy (float64 inside, float32 out); so does sec_upsample_probs."""
    from mmwsss.models.segmentors.sec import sec_upsample_probs
    rng = np.random.default_rng(2)
    logits = torch.from_numpy(rng.normal(0, 3, (5, 41, 41)).astype(np.float32))
    out = sec_upsample_probs(logits, dict(ori_shape=(375, 500), img_shape=(321, 321)))
    assert out.dtype == torch.float32 and out.shape == (5, 375, 500)
    probs = torch.softmax(logits, 0).numpy().transpose(1, 2, 0)
    ref = ndimage.zoom(probs, (375 / 41, 500 / 41, 1.0), order=1).transpose(2, 0, 1)
    assert np.abs(out.numpy() - ref).max() <= 1.2e-7  # float32 rounding of the same float64 value
