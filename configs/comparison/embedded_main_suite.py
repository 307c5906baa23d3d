# The main job's suite (tools/main_job.py): one entry per supervision the single-stage methods cover, each
# next to its bound, on the shared small backbone. Four runs, two side by side on 2 CPU cores (`--jobs 2`), sized
# to finish in about 15 min on a machine that runs nothing else:
# * UPerNet and BLPSeg: the entries of `embedded_suite.py` (2k iterations; their configs train in bfloat16
#   autocast with channels_last);
# * BESTIE, oracle targets and points: the 2k configs of the 4k rows of `embedded_suite.py` (twice the peak
#   learning rate, channels_last); `priority` starts them first, as the longest runs.
# Rows appear in this order in the table.
extends = 'embedded_suite.py'
select = ['fully_supervised_upernet', 'blpseg']
_backbone = 'R-18 1/4 width, OS 8'
_schedule = '2k it, batch 8'


def _bestie(name, method, supervision, bound, config):
    return dict(
        name=name, method=method, supervision=supervision, backbone=_backbone, schedule=_schedule,
        metric='voc_ins/mAP50', bound=bound, priority=1,
        steps=[
            dict(cmd=['{python}', 'tools/train.py', config, '--work-dir', '{work_dir}', '--cfg-options',
                      'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None'],  # tools/test.py evaluates
                 creates='{work_dir}/iter_2000.pth'),
            dict(cmd=['{python}', 'tools/test.py', config, '{work_dir}/iter_2000.pth', '--work-dir', '{work_dir}',
                      '--metrics-out', '{work_dir}/metrics.json'],
                 creates='{work_dir}/metrics.json', kind='eval'),
        ])


suite = [
    _bestie('bestie_oracle', 'BESTIE (oracle instance targets)', 'full instances', None,
            'configs/bestie/bestie-oracle_r18-d8_1xb8-2k_synthetic-112x112.py'),
    _bestie('bestie_point', 'BESTIE', 'points', 'bestie_oracle',
            'configs/bestie/bestie-point_r18-d8_1xb8-2k_synthetic-112x112.py'),
]
