# Runtime shared by every segmentation config (mmseg scope; mmwsss registers into mmseg).
default_scope = 'mmseg'
custom_imports = dict(imports=['mmwsss.seg'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # tools/train.py switches to gloo when there is no CUDA
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# default_hooks live in the schedule bases (mmseg convention)
# --tta merges by averaging softmax (mmseg convention); BLPSeg configs switch to merge='logit'
tta_model = dict(type='WSSSTTAModel', merge='prob')
# `tools/test.py --crf` without a preset uses this one
crf_preset = 'sec_test'
# `tools/test.py --ms` scales (wsscoseg's multi-scale test, no flip)
ms_scales = (0.7, 1.0, 1.3)
# random-generator states (python, numpy, torch, dataloader seeds) go into every checkpoint, so that
# --resume continues exactly like the uninterrupted run; a config that sets its own custom_hooks list repeats it
custom_hooks = [dict(type='RNGStateHook')]
randomness = dict(seed=0)
