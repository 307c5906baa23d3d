# W-OoD fine-tuning on VOC train_aug + the OpenImages hard OoD set (W-OoD step/train_cam_clustering.py; run_sample.py):
# 5 epochs, ID batch 16 + OoD batch 16, lambda 0.007 (top 20 % push), mu 0.25, K = 50 k-means OoD
# prototypes (10 Lloyd iterations, first-K init), one-step OoD hardening 0.07.
# Checkpoint choice: the original keeps the best of 18 classifiers by CAM mIoU against the GT masks of VOC
# train (every 10 steps in the last quarter of the last epoch, and the final one). The checkpoint hook below
# saves exactly those candidates; tools/wood/select_cam_checkpoint.py picks the best as the original does. That
# step uses ground truth (not weakly supervised): the last checkpoint (iter_3305.pth) is the GT-free choice.
_base_ = ['./cam_r50-d16_1xb16-5e_voc12aug-512x512.py']
load_from = 'work_dirs/cam_r50-d16_1xb16-5e_voc12aug-512x512/iter_3305.pth'  # the IRN-style classifier (res50_cam_orig)
model = dict(
    type='WOoDClassifier',
    backbone=dict(init_cfg=None),
    metric_loss=dict(type='WOoDMetricLoss', loss_weight=0.007, topk_ratio=0.2),
    # as the released code (step/train_cam_clustering.py): OoD images whose top class is VOC "bottle" (4) are
    # left out of the OoD loss; exclude_classes=() drops the rule (docs/fidelity.md)
    ood_loss=dict(type='WOoDOoDLoss', loss_weight=0.25, exclude_classes=(4, )),
    num_ood_prototypes=50,
    adv_step=0.07)
# the released OpenImages hard OoD set inside the dataset folder (docs/dataset_layout.md): <data_root>/ood_images/
# holds its images and <data_root>/ood_list.txt its list (paths relative to ood_images/)
ood_dataset = dict(
    type='OoDImageDataset', data_root={{_base_.data_root}}, ood_list='ood_list.txt', ood_root='ood_images',
    num_classes=21,
    pipeline={{_base_.weak_train_pipeline}})
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='WOoDMixDataset',
        dataset=dict(
            type='WSSSVOCDataset', data_root={{_base_.data_root}},
            ann_file='ImageSets/Segmentation/train_aug.txt',
            cls_label_file='ImageSets/Segmentation/train_aug_cls.txt',
            data_prefix=dict(img_path='JPEGImages'), pipeline={{_base_.weak_train_pipeline}}),
        ood_dataset=ood_dataset))
custom_hooks = [
    dict(type='RNGStateHook'),  # the runtime's: random-generator states in checkpoints (exact --resume)
    dict(
        type='WOoDPrototypeHook',
        niter=10,
        # ID: every train_aug image at full resolution, no augmentation, batch 1
        id_dataloader=dict(
            batch_size=1, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(
                type='WSSSVOCDataset', data_root={{_base_.data_root}},
                ann_file='ImageSets/Segmentation/train_aug.txt',
                cls_label_file='ImageSets/Segmentation/train_aug_cls.txt', data_prefix=dict(img_path='JPEGImages'),
                pipeline=[dict(type='LoadWSSSImage'), dict(type='LoadWSSSAnnotations', with_seg=False),
                          dict(type='PackWSSSInputs')])),
        # OoD: long side resized to 500 (bicubic), batch 1
        ood_dataloader=dict(
            batch_size=1, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(ood_dataset, pipeline=[
                dict(type='LoadWSSSImage'),
                dict(type='Resize', scale=(500, 500), keep_ratio=True, interpolation='bicubic'),
                dict(type='PackWSSSInputs')])))
]
_steps, _epochs = 10582 // 16, 5  # 661 steps per epoch (train_aug, batch 16), 5 epochs: the base's max_iters 3305
# W-OoD scores the model before steps 500, 510, ..., 660 of the last epoch (step > 3/4 of the epoch, step % 10 == 0),
# i.e. after 3144, 3154, ..., 3304 iterations; save_last adds the final 3305
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=10,
                    save_begin=(_epochs - 1) * _steps + (_steps * 3 // 4 // 10 + 1) * 10, max_keep_ckpts=-1,
                    save_last=True))
# tools/wood/make_cam.py with this config writes AdvCAMs, as W-OoD's VOC pipeline (bash_run_sample.sh runs
# get_advcam.py between the classifier and IRN): 27 iterations, restriction weight 7, step 0.08, region threshold
# 0.5 (the original's arguments; override with --adv-iter/--adv-coeff/--adv-step/--score-th, --no-advcam for CAMs)
make_cam = dict(advcam=dict(adv_iter=27, coeff=7.0, step=0.08, score_th=0.5))
