"""Metric helpers: mmseg's intersect-and-union with the WSSS conventions, IoU, and the CAM threshold sweep."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmwsss.evaluation.functional import intersect_and_union, iou_from_areas
from mmwsss.evaluation.metrics import CAMMetric


def test_intersect_and_union_conventions():
    gt = np.array([[0, 0, 1, 1], [0, 2, 2, 255]])
    pred = np.array([[0, 1, 1, 255], [0, 2, 9, 1]])  # 255 and 9 (outside the classes) count as background
    areas = intersect_and_union(pred, gt, num_classes=3)
    # class 0: pred {0,0,(255)->0,(9)->0} on pixels (0,0),(0,3),(1,0),(1,2); gt class 0 at (0,0),(0,1),(1,0)
    assert areas.tolist() == [[2, 1, 1], [5, 3, 2], [4, 2, 1], [3, 2, 2]]  # rows: intersect, union, pred, gt
    iou = iou_from_areas(areas)
    assert np.allclose(iou, [2 / 5, 1 / 3, 1 / 2])
    assert np.isnan(iou_from_areas(intersect_and_union(np.zeros((2, 2)), np.zeros((2, 2)), 3))[1])
    with pytest.raises(ValueError, match='differ in shape'):
        intersect_and_union(np.zeros((2, 2)), np.zeros((2, 3)), 3)


def test_cam_metric_sweeps_the_background_threshold():
    gt = torch.zeros(1, 4, 4, dtype=torch.long)
    gt[0, :2] = 1
    cams = torch.zeros(3, 4, 4)  # channel 0 is replaced by each threshold
    cams[1, :2] = 0.6
    cams[1, 2:] = 0.2
    metric = CAMMetric(thresholds=(0.1, 0.3, 0.7))
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    sample = SegDataSample(gt_sem_seg=PixelData(data=gt), seg_logits=PixelData(data=cams))
    metric.process({}, [sample.to_dict()])
    out = metric.compute_metrics(metric.results)
    # 0.1: everything class a (IoU a 0.5, bg 0); 0.3: exact; 0.7: everything background (bg 0.5, a 0)
    assert out['mIoU@0.1'] == 25.0 and out['mIoU@0.3'] == 100.0 and out['mIoU@0.7'] == 25.0
    assert out['best_thr'] == 0.3 and out['mIoU'] == 100.0 and out['IoU.a'] == 100.0
