"""BESTIE on COCO: class k of the model is the k-th category by id; CocoMetric maps it back across the id gaps."""
import numpy as np
import torch

from tests.datasets.test_coco import write_coco_fixture


def test_coco_metric_scores_predictions_across_gapped_category_ids(tmp_path):
    from mmdet.evaluation import CocoMetric

    from mmwsss.datasets.coco import convert_coco_semantic, load_coco_json
    from mmwsss.det.datasets import BestieVOCDataset
    ann, img_dir = write_coco_fixture(str(tmp_path / 'coco'))
    root = str(tmp_path / 'wsss')
    convert_coco_semantic(ann, img_dir, root, 'val', progress=False)
    ds = BestieVOCDataset(data_root=root, ann_file='ImageSets/Segmentation/val.txt',
                          cls_label_file='ImageSets/Segmentation/val_cls.txt', coco_ann_file=ann,
                          data_prefix=dict(img_path='JPEGImages'), test_mode=True,
                          metainfo=dict(classes=('background', 'person', 'dog', 'toothbrush')))
    assert ds.metainfo['classes'] == ('person', 'dog', 'toothbrush')
    assert [ds.get_data_info(i)['img_id'] for i in range(3)] == [1, 2, 3]  # the json's image ids
    metric = CocoMetric(ann_file=ann, metric='segm')
    metric.dataset_meta = ds.metainfo
    data = load_coco_json(ann)
    from mmwsss.datasets.coco import annotation_mask
    preds = []
    for img in data['images']:
        anns = [a for a in data['annotations'] if a['image_id'] == img['id'] and not a.get('iscrowd')]
        masks = np.stack([annotation_mask(a, img['height'], img['width']) for a in anns]) if anns else \
            np.zeros((0, img['height'], img['width']), np.uint8)
        # BESTIE's labels: rank of the category id (1 -> 0, 18 -> 1, 90 -> 2)
        labels = [{1: 0, 18: 1, 90: 2}[a['category_id']] for a in anns]
        boxes = [[a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2], a['bbox'][1] + a['bbox'][3]] for a in anns]
        preds.append(dict(img_id=img['id'], ori_shape=(img['height'], img['width']),
                          pred_instances=dict(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                                              scores=torch.ones(len(anns)), labels=torch.tensor(labels).long(),
                                              masks=torch.from_numpy(masks).bool())))
    metric.process({}, preds)
    res = metric.evaluate(len(preds))
    assert abs(res['coco/segm_mAP'] - 1.0) < 1e-6, res
    # the same masks with the class of the raw category id minus one (the gap ignored) score far lower
    metric2 = CocoMetric(ann_file=ann, metric='segm')
    metric2.dataset_meta = ds.metainfo
    for p in preds:
        p['pred_instances']['labels'] = torch.where(p['pred_instances']['labels'] == 0, 0, 2)
    metric2.process({}, preds)
    assert metric2.evaluate(len(preds))['coco/segm_mAP'] < 0.9
