# PAM classifier with OoD negatives (embedded dataset): the 150 OoD images (class contexts rails / water / sky
# and distractors, no class object; the W-OoD set) are added to the PAM's training set with all-zero labels.
# The embedded contexts co-occur with their class in 95 % of the images, so the plain PAM scores aeroplane
# from sky and fires on the sky's border (configs/bestie/README.md); the
# negatives take that shortcut away. Not in BESTIE: the original PAM sees VOC images only.
#   python tools/train.py configs/bestie/pam-ood_r18-d8_1xb8-2k_synthetic-112x112.py
#   python tools/bestie/extract_peaks.py configs/bestie/pam-ood_r18-d8_1xb8-2k_synthetic-112x112.py \
#       work_dirs/pam-ood_r18-d8_1xb8-2k_synthetic-112x112/iter_2000.pth --out-dir data/synthetic/Peak_points_ood
_base_ = ['./pam_r18-d8_1xb8-2k_synthetic-112x112.py']
_classes = ('train', 'boat', 'aeroplane', 'sheep', 'bottle', 'tvmonitor')
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(
                type='BestieSyntheticDataset',
                data_root={{_base_.data_root}},
                ann_file='ImageSets/Segmentation/train.txt',
                cls_label_file='ImageSets/Segmentation/train_cls.txt',
                data_prefix=dict(img_path='JPEGImages'),
                pipeline={{_base_.pam_train_pipeline}}),
            dict(
                type='BestieOoDDataset',
                data_root={{_base_.data_root}},
                ood_list='ood_list.txt',
                ood_root='ood_images',
                metainfo=dict(classes=_classes),
                pipeline={{_base_.pam_train_pipeline}}),
        ]))
peak_cfg = dict(out_dir='Peak_points_ood')
