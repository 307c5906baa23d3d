# The full comparison on the embedded dataset: the default suite plus the multi-stage pipelines
# (SEC with its cues, wsscoseg's web -> estimated masks -> final chain, BESTIE from image labels).
# `python tools/compare.py configs/comparison/embedded_full_suite.py` (about 1 h on 2 CPU cores).
# SEC trains on <data_root>/sec_cues (make them with tools/sec/make_cues.py, see configs/sec/README.md).
# entries of this suite come after those of `extends` (relative to this file)
extends = 'embedded_suite.py'
_iters = 2000
_backbone = 'R-18 1/4 width, OS 8'
_schedule = '2k it, batch 8'
_wss = 'configs/wsscoseg/wsscoseg_r18-d8_synthetic_%s.py'
_pam = 'configs/bestie/pam_r18_synthetic.py'
_cls = 'configs/bestie/bestie_r18_synthetic-cls.py'
_sec = 'configs/sec/sec_r18-d8_synthetic.py'


def _test(config, ckpt, extra=()):
    return dict(cmd=['{python}', 'tools/test.py', config, ckpt, '--work-dir', '{work_dir}', '--metrics-out',
                     '{work_dir}/metrics.json'] + list(extra), creates='{work_dir}/metrics.json', kind='eval')


suite = [
    dict(name='sec', method='SEC (+ test CRF)', supervision='image labels', backbone=_backbone, schedule=_schedule,
         metric='mIoU', bound='fully_supervised',
         steps=[dict(cmd=['{python}', 'tools/train.py', _sec, '--work-dir', '{work_dir}'],
                     creates='{work_dir}/iter_2000.pth'),
                _test(_sec, '{work_dir}/iter_2000.pth', ['--cfg-options', 'model.test_cfg.crf=sec_test'])]),
    dict(name='wsscoseg', method='wsscoseg', supervision='image labels + web images', backbone=_backbone,
         schedule=_schedule, metric='mIoU', bound='fully_supervised',
         steps=[dict(cmd=['{python}', 'tools/train.py', _wss % 'init', '--work-dir', '{work_dir}/init'],
                     creates='{work_dir}/init/iter_2000.pth'),
                dict(cmd=['{python}', 'tools/wsscoseg/estimate_masks.py', _wss % 'init',
                          '{work_dir}/init/iter_2000.pth', '--data-root', '{data_root}', '--metrics-out',
                          '{work_dir}/estimated_masks.json'],
                     creates='{work_dir}/estimated_masks.json'),
                dict(cmd=['{python}', 'tools/train.py', _wss % 'final', '--work-dir', '{work_dir}'],
                     creates='{work_dir}/iter_2000.pth'),
                _test(_wss % 'final', '{work_dir}/iter_2000.pth')]),
    dict(name='bestie_cls', method='BESTIE', supervision='image labels', backbone=_backbone,
         schedule=_schedule, metric='voc_ins/mAP50', bound='bestie_oracle',
         steps=[dict(cmd=['{python}', 'tools/train.py', _pam, '--work-dir', '{work_dir}/pam'],
                     creates='{work_dir}/pam/iter_2000.pth'),
                dict(cmd=['{python}', 'tools/bestie/extract_peaks.py', _pam, '{work_dir}/pam/iter_2000.pth',
                          '--data-root', '{data_root}'],
                     creates='{data_root}/Peak_points'),
                dict(cmd=['{python}', 'tools/train.py', _cls, '--work-dir', '{work_dir}'],
                     creates='{work_dir}/iter_2000.pth'),
                _test(_cls, '{work_dir}/iter_2000.pth')]),
]
