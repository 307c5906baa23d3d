# Image labels, with the instance cues from the PAM that also saw the 150 OoD images as negatives
# (pam-ood_r18-d8_1xb8-2k_synthetic-112x112.py -> Peak_points_ood). Everything else as bestie-cls_r18-d8_1xb8-4k_synthetic-112x112.py.
#   python tools/train.py configs/bestie/pam-ood_r18-d8_1xb8-2k_synthetic-112x112.py
#   python tools/bestie/extract_peaks.py configs/bestie/pam-ood_r18-d8_1xb8-2k_synthetic-112x112.py \
#       work_dirs/pam-ood_r18-d8_1xb8-2k_synthetic-112x112/iter_2000.pth
#   python tools/train.py configs/bestie/bestie-cls-oodpam_r18-d8_1xb8-4k_synthetic-112x112.py
_base_ = './bestie-cls_r18-d8_1xb8-4k_synthetic-112x112.py'
train_dataloader = dict(dataset=dict(data_prefix=dict(points_path='Peak_points_ood')))
