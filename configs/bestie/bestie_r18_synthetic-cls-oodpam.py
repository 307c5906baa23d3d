# Image labels, with the instance cues from the PAM that also saw the 150 OoD images as negatives
# (pam_r18_synthetic_ood.py -> Peak_points_ood). Everything else as bestie_r18_synthetic-cls.py.
#   python tools/train.py configs/bestie/pam_r18_synthetic_ood.py
#   python tools/bestie/extract_peaks.py configs/bestie/pam_r18_synthetic_ood.py \
#       work_dirs/pam_r18_synthetic_ood/iter_2000.pth
#   python tools/train.py configs/bestie/bestie_r18_synthetic-cls-oodpam.py
_base_ = './bestie_r18_synthetic-cls.py'
train_dataloader = dict(dataset=dict(data_prefix=dict(points_path='Peak_points_ood')))
