# Short name of configs/blpseg/blpseg_r101_2xb5-42k_voc12aug-scribble-384x384.py (BLPSeg, ResNet-101,
# PASCAL VOC 2012 train_aug scribbles, 2 GPUs x 5, 42k iterations, crop 384):
#   tools/dist_train.sh configs/blpseg/r101_voc.py 2
#   python tools/test.py configs/blpseg/r101_voc.py CKPT --tta
_base_ = ['./blpseg_r101_2xb5-42k_voc12aug-scribble-384x384.py']
