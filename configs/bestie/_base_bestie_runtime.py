# Runtime of every BESTIE / PAM / Mask R-CNN config: mmdet scope, mmwsss.det registers into mmdet.
default_scope = 'mmdet'
custom_imports = dict(imports=['mmwsss.det'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# No default_hooks here: the shared schedules (e.g. _base_/schedules/schedule_2k.py) define them
# and mmengine forbids the same key in two bases; the Runner adds timer/param_scheduler/sampler_seed.
# random-generator states (python, numpy, torch, dataloader seeds) go into every checkpoint, so that
# --resume continues exactly like the uninterrupted run; a config that sets its own custom_hooks list repeats it
custom_hooks = [dict(type='RNGStateHook')]
randomness = dict(seed=3407)  # BESTIE scripts/run_image_labels.sh
