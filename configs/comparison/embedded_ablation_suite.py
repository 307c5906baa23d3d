# Ablations on the embedded dataset, next to the full comparison (same backbone, schedule and work dirs):
# the BLPSeg components and switch iteration (the suite's `blpseg` entry switches at 1000, the embedded default),
# SEC's three losses and its pooling, wsscoseg's global branch, BESTIE's self-refinement and its PAM with OoD
# negatives.
#   python tools/compare.py configs/comparison/embedded_ablation_suite.py --work-dir work_dirs/full \
#       --only fully_supervised fully_supervised_upernet sec sec_no_seed ...
# Entries whose first stages are shared with the full suite (SEC cues, wsscoseg estimated masks, BESTIE peaks)
# expect those stages to have run (configs/comparison/embedded_full_suite.py in the same work dir).
from mmwsss.comparison.steps import train_test

extends = 'embedded_full_suite.py'
_backbone = 'R-18 1/4 width, OS 8'
_schedule = '2k it, batch 8'
_long_iters = 4000  # BESTIE and wsscoseg initial models (configs/_base_/schedules/schedule_4k.py); BESTIE's PAMs
_long_schedule = '4k it, batch 8'  # keep 2k
_wss_final_iters = 8000  # wsscoseg final models (wsscoseg's final/initial ratio, see configs/wsscoseg/wsscoseg-final_*.py)
_wss_schedule = '8k it, batch 8'
_fs_long = 'configs/fully_supervised/deeplabv3_r18-d8_1xb8-4k_synthetic-112x112.py'


def _train_test(config, options=(), train_dir='{work_dir}', iters=2000):
    # `options` change the model, so training and test both take them
    return train_test(config, iters, train_options=options, test_options=options, train_dir=train_dir)


def _entry(name, method, supervision, bound, steps, metric='mIoU', needs=(), schedule=_schedule):
    return dict(name=name, method=method, supervision=supervision, backbone=_backbone, schedule=schedule,
                metric=metric, bound=bound, steps=steps, needs=list(needs))


def _bestie_entry(name, method, supervision, steps, needs=()):
    return _entry(name, method, supervision, 'bestie_oracle', steps, metric='voc_ins/mAP50', needs=needs,
                  schedule=_long_schedule)


_blp = 'configs/blpseg/blpseg%s_r18-d8_1xb8-2k_synthetic-scribble-112x112.py'
_sec = 'configs/sec/sec%s_r18-d8_1xb8-2k_synthetic-128x128.py'
_wss = {v: 'configs/wsscoseg/wsscoseg-%s_r18-d8_1xb8-%s_synthetic%s-112x112.py' % (v, it, data)
        for v, it, data in (('init', '4k', '-web'), ('final', '8k', ''), ('final-no-global', '8k', ''))}
_bestie = 'configs/bestie/bestie-%s_r18-d8_1xb8-4k_synthetic-112x112.py'
_pam_ood = 'configs/bestie/pam-ood_r18-d8_1xb8-2k_synthetic-112x112.py'
suite = [
    # the bound of the wsscoseg initial model (4k iterations)
    _entry('fully_supervised_long', 'DeepLabV3 (fully supervised)', 'full masks', None,
           _train_test(_fs_long, iters=_long_iters), schedule=_long_schedule),
    _entry('blpseg_blp', 'partial CE + BLP loss', 'scribbles', 'fully_supervised_upernet',
           _train_test(_blp % '-blploss')),
    _entry('blpseg_blp_lam', 'BLP loss + LAM (no switch)', 'scribbles', 'fully_supervised_upernet',
           _train_test(_blp % '-blploss-lam')),
    _entry('blpseg_switch480', 'BLPSeg, switch at 480 (24 %, as 10k/42k on VOC)', 'scribbles',
           'fully_supervised_upernet', _train_test(_blp % '', options=['custom_hooks.0.start_iter=480'])),
    _entry('blpseg_switch1500', 'BLPSeg, switch at 1500', 'scribbles', 'fully_supervised_upernet',
           _train_test(_blp % '', options=['custom_hooks.0.start_iter=1500'])),
    _entry('sec_no_crf', 'SEC (no test CRF)', 'image labels', 'fully_supervised',
           _train_test(_sec % '', train_dir='{work_dir}/../sec')),
    _entry('sec_no_seed', 'SEC without the seed loss', 'image labels', 'fully_supervised',
           _train_test(_sec % '-no-seed')),
    _entry('sec_no_expand', 'SEC without the expand loss', 'image labels', 'fully_supervised',
           _train_test(_sec % '-no-expand')),
    _entry('sec_no_constrain', 'SEC without the constrain loss', 'image labels', 'fully_supervised',
           _train_test(_sec % '-no-constrain')),
    _entry('sec_gmp', 'SEC, global max pooling instead of GWRP', 'image labels', 'fully_supervised',
           _train_test(_sec % '-gmp')),
    _entry('sec_gap', 'SEC, global average pooling instead of GWRP', 'image labels', 'fully_supervised',
           _train_test(_sec % '-gap')),
    _entry('sec_gwrp_grid', 'SEC, GWRP decays scaled to the 16x16 grid', 'image labels',
           'fully_supervised', _train_test(_sec % '-gwrp-grid')),
    _entry('wsscoseg_init', 'wsscoseg initial mask generator', 'web images + web masks', 'fully_supervised_long',
           _train_test(_wss['init'], train_dir='{work_dir}/../wsscoseg/init', iters=_long_iters),
           schedule=_long_schedule),
    _entry('wsscoseg_no_global', 'wsscoseg final without the global branch', 'image labels + web images',
           'fully_supervised_8k', _train_test(_wss['final-no-global'], iters=_wss_final_iters),
           needs=['wsscoseg'], schedule=_wss_schedule),  # trains on the masks the wsscoseg entry estimates
    _bestie_entry('bestie_point_norefine', 'BESTIE without self-refinement', 'points',
                  _train_test(_bestie % 'point-norefine', iters=_long_iters)),
    _bestie_entry('bestie_cls_oodpam', 'BESTIE, PAM with OoD negatives', 'image labels + OoD images',
                  [dict(cmd=['{python}', 'tools/train.py', _pam_ood, '--work-dir', '{work_dir}/pam'],
                        creates='{work_dir}/pam/iter_2000.pth'),
                   dict(cmd=['{python}', 'tools/bestie/extract_peaks.py', _pam_ood, '{work_dir}/pam/iter_2000.pth',
                             '--data-root', '{data_root}', '--no-resume'],
                        creates='{data_root}/Peak_points_ood/peaks_done.json')]
                  + _train_test(_bestie % 'cls-oodpam', iters=_long_iters)),
    _bestie_entry('bestie_cls_norefine', 'BESTIE without self-refinement', 'image labels',
                  _train_test(_bestie % 'cls-norefine', iters=_long_iters), needs=['bestie_cls']),  # its peaks
]
