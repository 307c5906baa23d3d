# The full comparison on the embedded dataset: the default suite plus the multi-stage pipelines
# (SEC with its cues, wsscoseg's web -> estimated masks -> final chain, BESTIE from image labels).
# `python tools/compare.py configs/comparison/embedded_full_suite.py --jobs 2` (about 2.5 h on 2 CPU cores, estimated
# from the single runs: the BESTIE and wsscoseg initial models train 4k iterations, the wsscoseg final model and
# its bound 8k).
# SEC trains on <data_root>/sec_cues (make them with tools/sec/make_cues.py, see configs/sec/README.md).
from mmwsss.comparison.steps import test_step

# entries of this suite come after those of `extends` (relative to this file)
extends = 'embedded_suite.py'
_iters = 2000
_backbone = 'R-18 1/4 width, OS 8'
_schedule = '2k it, batch 8'
_long_iters = 4000  # the BESTIE model (its PAM keeps the short schedule) and the wsscoseg initial model
_long_schedule = '4k it, batch 8'
_wss_final_iters = 8000  # the wsscoseg final model: 2x its initial model's, as wsscoseg cores/config.py (its config says why)
_wss_schedule = '8k it, batch 8'
_wss = {v: 'configs/wsscoseg/wsscoseg-%s_r18-d8_1xb8-%s_synthetic%s-112x112.py' % (v, it, data)
        for v, it, data in (('init', '4k', '-web'), ('final', '8k', ''), ('final-no-global', '8k', ''))}
_fs_8k = 'configs/fully_supervised/deeplabv3_r18-d8_1xb8-8k_synthetic-112x112.py'
_pam = 'configs/bestie/pam_r18-d8_1xb8-2k_synthetic-112x112.py'
_cls = 'configs/bestie/bestie-cls_r18-d8_1xb8-4k_synthetic-112x112.py'
_sec = 'configs/sec/sec_r18-d8_1xb8-2k_synthetic-128x128.py'
_cam0 = '{work_dir}/../wood_cam_pretrain'  # stage 0, shared by the plain and the W-OoD pipelines
# the ImageNet stand-in whose backbone initialises stage 0 (docs/synthetic_dataset.md, "Pretraining stand-in")
_stand_in = '{work_dir}/../cam_r18-d8_1xb8-4k_synthetic-pretrain-112x112'
_irn = 'configs/wood/irn_r18-d8_1xb8-300it_synthetic-112x112.py'


def _cam_irn_pipeline(cls_config):
    """Image labels -> CAM classifier -> CAMs -> IR labels -> IRN -> pseudo masks -> segmentation model."""
    cls_ckpt = '{work_dir}/cls/iter_500.pth'
    seg = 'configs/wood/deeplabv3-pseudo_r18-d8_1xb8-2k_synthetic-112x112.py'
    return [
        dict(cmd=['{python}', 'tools/train.py', 'configs/pretrain/cam_r18-d8_1xb8-4k_synthetic-pretrain-112x112.py', '--work-dir',
                  _stand_in],
             creates=_stand_in + '/iter_4000.pth'),
        dict(cmd=['{python}', 'tools/train.py', 'configs/wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py', '--work-dir', _cam0,
                  '--cfg-options', 'model.backbone.init_cfg.checkpoint=' + _stand_in + '/iter_4000.pth'],
             creates=_cam0 + '/iter_2000.pth'),
        dict(cmd=['{python}', 'tools/train.py', cls_config, '--work-dir', '{work_dir}/cls', '--cfg-options',
                  'load_from=' + _cam0 + '/iter_2000.pth'],
             creates=cls_ckpt),
        dict(cmd=['{python}', 'tools/wood/make_cam.py', cls_config, cls_ckpt, '--data-root', '{data_root}',
                  '--out-dir', '{work_dir}/cams', '--eval', '--no-resume'],
             creates='{work_dir}/cams/cam_eval.json'),
        dict(cmd=['{python}', 'tools/wood/cam_to_ir_label.py', '--data-root', '{data_root}', '--cam-dir',
                  '{work_dir}/cams', '--out-dir', '{work_dir}/ir_label', '--no-resume'],
             creates='{work_dir}/ir_label/ir_label_stats.json'),
        dict(cmd=['{python}', 'tools/wood/train_irn.py', _irn, '--cam-checkpoint', cls_ckpt, '--ir-label-dir',
                  '{work_dir}/ir_label', '--work-dir', '{work_dir}/irn'],
             creates='{work_dir}/irn/iter_300.pth'),
        dict(cmd=['{python}', 'tools/wood/make_sem_seg_labels.py', _irn, '{work_dir}/irn/iter_300.pth',
                  '--data-root', '{data_root}', '--cam-dir', '{work_dir}/cams', '--out-dir',
                  '{work_dir}/pseudo_masks', '--eval', '--no-resume'],
             creates='{work_dir}/pseudo_masks/pseudo_mask_eval.json'),
        dict(cmd=['{python}', 'tools/train.py', seg, '--work-dir', '{work_dir}', '--cfg-options',
                  'train_dataloader.dataset.data_prefix.seg_map_path={work_dir}/pseudo_masks'],
             creates='{work_dir}/iter_2000.pth'),
        test_step(seg, '{work_dir}/iter_2000.pth'),
    ]


# train-split quality of the intermediate labels, shown in the table's notes
_cam_irn_metrics = dict(CAM=('{work_dir}/cams/cam_eval.json', 'best_miou'),
                        pseudo=('{work_dir}/pseudo_masks/pseudo_mask_eval.json', 'miou'))


suite = [
    dict(name='sec', method='SEC (+ test CRF)', supervision='image labels', backbone=_backbone, schedule=_schedule,
         metric='mIoU', bound='fully_supervised',
         steps=[dict(cmd=['{python}', 'tools/train.py', _sec, '--work-dir', '{work_dir}'],
                     creates='{work_dir}/iter_2000.pth'),
                test_step(_sec, '{work_dir}/iter_2000.pth', ['--cfg-options', 'model.test_cfg.crf=sec_test'])]),
    # the bound of the wsscoseg row, whose final model trains 8k iterations (wsscoseg's final/initial ratio)
    dict(name='fully_supervised_8k', method='DeepLabV3 (fully supervised)', supervision='full masks',
         backbone=_backbone, schedule=_wss_schedule, metric='mIoU', bound=None,
         steps=[dict(cmd=['{python}', 'tools/train.py', _fs_8k, '--work-dir', '{work_dir}'],
                     creates='{work_dir}/iter_%d.pth' % _wss_final_iters),
                test_step(_fs_8k, '{work_dir}/iter_%d.pth' % _wss_final_iters)]),
    dict(name='wsscoseg', method='wsscoseg', supervision='image labels + web images', backbone=_backbone,
         schedule=_wss_schedule + ' (+ 4k initial model)', metric='mIoU', bound='fully_supervised_8k',
         steps=[dict(cmd=['{python}', 'tools/train.py', _wss['init'], '--work-dir', '{work_dir}/init'],
                     creates='{work_dir}/init/iter_%d.pth' % _long_iters),
                dict(cmd=['{python}', 'tools/wsscoseg/estimate_masks.py', _wss['init'],
                          '{work_dir}/init/iter_%d.pth' % _long_iters, '--data-root', '{data_root}',
                          '--metrics-out', '{work_dir}/estimated_masks.json', '--no-resume'],
                     creates='{work_dir}/estimated_masks.json'),
                dict(cmd=['{python}', 'tools/train.py', _wss['final'], '--work-dir', '{work_dir}'],
                     creates='{work_dir}/iter_%d.pth' % _wss_final_iters),
                test_step(_wss['final'], '{work_dir}/iter_%d.pth' % _wss_final_iters)],
         extra_metrics=dict(estimated=('{work_dir}/estimated_masks.json', 'miou', 100.0))),
    dict(name='bestie_cls', method='BESTIE', supervision='image labels', backbone=_backbone,
         schedule=_long_schedule, metric='voc_ins/mAP50', bound='bestie_oracle',
         steps=[dict(cmd=['{python}', 'tools/train.py', _pam, '--work-dir', '{work_dir}/pam'],
                     creates='{work_dir}/pam/iter_2000.pth'),
                dict(cmd=['{python}', 'tools/bestie/extract_peaks.py', _pam, '{work_dir}/pam/iter_2000.pth',
                          '--data-root', '{data_root}', '--no-resume'],
                     creates='{data_root}/Peak_points/peaks_done.json'),
                dict(cmd=['{python}', 'tools/train.py', _cls, '--work-dir', '{work_dir}'],
                     creates='{work_dir}/iter_%d.pth' % _long_iters),
                test_step(_cls, '{work_dir}/iter_%d.pth' % _long_iters)]),
    dict(name='cam_irn', method='CAM + IRN (plain classifier)', supervision='image labels',
         backbone=_backbone, schedule=_schedule + ' (+ 500 ft, 300 IRN)', metric='mIoU', bound='fully_supervised',
         steps=_cam_irn_pipeline('configs/wood/cam-ft_r18-d8_1xb8-500it_synthetic-112x112.py'), extra_metrics=_cam_irn_metrics),
    dict(name='wood', method='W-OoD + IRN', supervision='image labels + OoD images', backbone=_backbone,
         schedule=_schedule + ' (+ 500 ft, 300 IRN)', metric='mIoU', bound='fully_supervised',
         steps=_cam_irn_pipeline('configs/wood/wood_r18-d8_1xb8-500it_synthetic-112x112.py'), extra_metrics=_cam_irn_metrics),
]
