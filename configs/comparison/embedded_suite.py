# The comparison suite on the embedded dataset: every entry uses the shared small backbone
# (ResNetV1c-18 at 1/4 width, OS 8) and the shared short schedule, next to the fully-supervised bound.
# `python tools/compare.py` runs it (finished work dirs are reused).
_fs = 'configs/fully_supervised/deeplabv3_r18-d8_synthetic.py'
_iters = 2000


def _train_test(config, iters=_iters):
    return [
        dict(cmd=['{python}', 'tools/train.py', config, '--work-dir', '{work_dir}'],
             creates='{work_dir}/iter_%d.pth' % iters),
        dict(cmd=['{python}', 'tools/test.py', config, '{work_dir}/iter_%d.pth' % iters, '--work-dir',
                  '{work_dir}', '--metrics-out', '{work_dir}/metrics.json'],
             creates='{work_dir}/metrics.json', kind='eval'),
    ]


suite = [
    dict(name='fully_supervised', method='DeepLabV3 (fully supervised)', supervision='full masks',
         backbone='R-18 1/4 width, OS 8', schedule='2k it, batch 8', metric='mIoU', bound=None,
         steps=_train_test(_fs)),
]
