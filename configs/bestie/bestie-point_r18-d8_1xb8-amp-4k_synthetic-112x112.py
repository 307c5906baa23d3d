# The BESTIE point row of the main job (tools/main_job.py): the float32 config in bfloat16 autocast on CPU
# (convolutions and matrix products of the forward pass in bfloat16 where the CPU has AVX-512 bf16, float32 elsewhere,
# with a warning), which shortens a training step on CPU. Everything else is the float32 config's.
_base_ = ['./bestie-point_r18-d8_1xb8-4k_synthetic-112x112.py']
optim_wrapper = dict(type='CPUAutocastOptimWrapper')
