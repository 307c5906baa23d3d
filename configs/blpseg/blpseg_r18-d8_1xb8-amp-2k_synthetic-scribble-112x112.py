# BLPSeg in bfloat16 autocast on CPU, next to the amp UPerNet bound
# (configs/fully_supervised/upernet_r18-d8_1xb8-amp-2k_synthetic-112x112.py); LAM keeps float32 inside
# (mmwsss/models/necks/lam.py). Everything else is the float32 config's; the main job (tools/main_job.py) trains
# this variant.
_base_ = ['./blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112.py']
optim_wrapper = dict(type='CPUAutocastOptimWrapper')
