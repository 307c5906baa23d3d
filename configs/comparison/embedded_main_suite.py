# The main job's suite (tools/main_job.py): one entry per supervision the single-stage methods cover, each next to
# its bound, on the shared small backbone (ResNet-18 at 1/4 width) and schedules (BLPSeg and its bound 2k iterations,
# the BESTIE rows 4k). Every run shortens its CPU training step against the float32 112x112 configs of
# `embedded_suite.py` (the reference rows of the method pages): the backbone at output stride 32, the stride of each
# method's own ResNet (BESTIE's ResNet option, BLPSeg's backbone, mmseg's UPerNet), instead of the suites' shared
# OS 8, and smaller crops of the 128x128 images: 96x96 for BLPSeg and its bound, in bfloat16 autocast (their `-amp`
# configs; float32 on a CPU without oneDNN bfloat16 kernels, where the schedule column says so), 88x88 for the BESTIE
# pair, in float32, the precision of their reference rows. Four runs, two at a time on 2 CPU cores (`--jobs 2`).
# Rows appear in this order in the table.
from mmwsss.comparison.steps import NO_VAL, autocast_label, train_test

_backbone = 'R-18 1/4 width, OS 32'
_amp = autocast_label()  # bf16, or fp32 where this CPU has no bfloat16 kernels


def _train_test(config, iters):
    # tools/test.py evaluates each trained model, so training skips its validation loop (the same evaluation)
    return train_test(config, iters, train_options=NO_VAL)


suite = [
    dict(name='bestie_oracle', method='BESTIE (oracle instance targets)', supervision='full instances',
         backbone=_backbone, schedule='4k it, batch 8, 88²', metric='voc_ins/mAP50', bound=None,
         steps=_train_test('configs/bestie/bestie-oracle_r18_1xb8-4k_synthetic-88x88.py', 4000)),
    dict(name='bestie_point', method='BESTIE', supervision='points', backbone=_backbone,
         schedule='4k it, batch 8, 88²', metric='voc_ins/mAP50', bound='bestie_oracle',
         steps=_train_test('configs/bestie/bestie-point_r18_1xb8-4k_synthetic-88x88.py', 4000)),
    dict(name='fully_supervised_upernet', method='UPerNet (fully supervised)', supervision='full masks',
         backbone=_backbone, schedule=f'2k it, batch 8, 96², {_amp}', metric='mIoU', bound=None,
         steps=_train_test('configs/fully_supervised/upernet_r18_1xb8-amp-2k_synthetic-96x96.py', 2000)),
    dict(name='blpseg', method='BLPSeg', supervision='scribbles', backbone=_backbone,
         schedule=f'2k it, batch 8, 96², {_amp}', metric='mIoU', bound='fully_supervised_upernet',
         steps=_train_test('configs/blpseg/blpseg_r18_1xb8-amp-2k_synthetic-scribble-96x96.py', 2000)),
]
# start order (highest first): the two BESTIE runs, the longest; BLPSeg, the longer of the two short runs, takes the
# first slot that frees, UPerNet the other
priority = dict(bestie_point=3, bestie_oracle=2, blpseg=1)
