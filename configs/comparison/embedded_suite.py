# The comparison suite on the embedded dataset: every entry uses the shared small backbone
# (ResNetV1c-18 at 1/4 width, OS 8) and the shared schedule (SGD lr 0.05, 2k iterations, batch 8),
# next to the fully-supervised bound with the same decoder. The BESTIE instance rows and their oracle share
# the long schedule (4k iterations, configs/_base_/schedules/schedule_4k.py).
# `python tools/compare.py` (or tools/main_job.py) runs it; finished work dirs are reused.
from mmwsss.comparison.steps import NO_VAL, train_test

_iters = 2000
_backbone = 'R-18 1/4 width, OS 8'
_schedule = '2k it, batch 8'
_long_iters = 4000
_long_schedule = '4k it, batch 8'


def _train_test(config, iters=_iters):
    # tools/test.py evaluates each trained model, so training skips its validation loop (the same evaluation)
    return train_test(config, iters, train_options=NO_VAL)


suite = [
    dict(name='fully_supervised', method='DeepLabV3 (fully supervised)', supervision='full masks',
         backbone=_backbone, schedule=_schedule, metric='mIoU', bound=None,
         steps=_train_test('configs/fully_supervised/deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py')),
    dict(name='fully_supervised_upernet', method='UPerNet (fully supervised)', supervision='full masks',
         backbone=_backbone, schedule=_schedule, metric='mIoU', bound=None,
         steps=_train_test('configs/fully_supervised/upernet_r18-d8_1xb8-2k_synthetic-112x112.py')),
    dict(name='blpseg', method='BLPSeg', supervision='scribbles', backbone=_backbone, schedule=_schedule,
         metric='mIoU', bound='fully_supervised_upernet',
         steps=_train_test('configs/blpseg/blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112.py')),
    dict(name='blpseg_partial_ce', method='partial CE (BLPSeg baseline)', supervision='scribbles',
         backbone=_backbone, schedule=_schedule, metric='mIoU', bound='fully_supervised_upernet',
         steps=_train_test('configs/blpseg/partial-ce_r18-d8_1xb8-2k_synthetic-scribble-112x112.py')),
    dict(name='bestie_oracle', method='BESTIE (oracle instance targets)', supervision='full instances',
         backbone=_backbone, schedule=_long_schedule, metric='voc_ins/mAP50', bound=None,
         steps=_train_test('configs/bestie/bestie-oracle_r18-d8_1xb8-4k_synthetic-112x112.py', _long_iters)),
    dict(name='bestie_point', method='BESTIE', supervision='points', backbone=_backbone,
         schedule=_long_schedule, metric='voc_ins/mAP50', bound='bestie_oracle',
         steps=_train_test('configs/bestie/bestie-point_r18-d8_1xb8-4k_synthetic-112x112.py', _long_iters)),
]
