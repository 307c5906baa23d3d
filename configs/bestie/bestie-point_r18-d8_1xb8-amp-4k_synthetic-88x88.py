# The 88x88 float32 config of the BESTIE point row in bfloat16 autocast on CPU (convolutions and matrix products of the
# forward pass in bfloat16 where the CPU has AVX-512 bf16, float32 elsewhere, with a warning): about 0.85x its
# training step time. The last 1x1 convs of the centre and offset heads stay in float32 (fp32_modules): offsets are
# pixel distances up to the crop size, which bfloat16's 8-bit mantissa rounds to 0.25-0.5 px. Even so, the trained
# model depends on the CPU's bfloat16 kernels (AMX or AVX-512) by several mAP50 points; the main job trains the
# float32 config, the precision of the reference rows (benchmarks/README.md, run-to-run spread).
_base_ = ['./bestie-point_r18-d8_1xb8-4k_synthetic-88x88.py']
optim_wrapper = dict(type='CPUAutocastOptimWrapper', fp32_modules=['head.center.1', 'head.offset.1'])
