# The UPerNet bound in bfloat16 autocast on CPU (mmdet's "amp" configs, for the CPU): convolutions and matrix
# products of the forward pass run in bfloat16 where the CPU has AVX-512 bf16 (float32 elsewhere, with a warning),
# which shortens a training step on CPU. Everything else is the float32 config's; the main job
# (tools/main_job.py) trains this variant.
_base_ = ['./upernet_r18-d8_1xb8-2k_synthetic-112x112.py']
optim_wrapper = dict(type='CPUAutocastOptimWrapper')
