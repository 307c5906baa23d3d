# Final segmentation model of the W-OoD / CAM + IRN pipeline on VOC train_aug pseudo masks, as the original:
# W-OoD's README trains DeepLab-v2 (kazuto1011/deeplab-pytorch) from ImageNet weights, and the W-OoD/AdvCAM
# author's recipe (jbeomlee93/AdvCAM issue #9) is batch 10, 30k iterations, lr 2.5e-4, training scales 0.5-2.0
# and a balanced cross-entropy "similar to DSRG".
# - head: DeepLab-v2 ASPP, the sum of four 3x3 convs with dilations 6/12/18/24 straight to the logits
#   (DeepLabV2Head); no auxiliary head
# - loss: FgBgBalancedCELoss (DSRG's balanced seeding loss: background and foreground CE averaged separately)
# - optimiser (deeplab-pytorch, from the Caffe prototxt): SGD momentum 0.9, wd 5e-4, poly 0.9; the head's
#   weights at 10x lr, its biases at 20x lr without weight decay
# Backbone: mmseg's ResNetV1c-101 at output stride 8 (ImageNet weights of the OpenMMLab zoo; deeplab-pytorch uses
# a 7x7-stem ResNet-101 with frozen BN). Alternative with mmseg's DeepLabV3 head and plain CE:
# deeplabv3-pseudo_r101-d8_1xb10-30k_voc12aug-321x321.py.
_base_ = ['./deeplabv3-pseudo_r101-d8_1xb10-30k_voc12aug-321x321.py']
model = dict(
    decode_head=dict(
        _delete_=True, type='DeepLabV2Head', in_channels=2048, in_index=3, dilations=(6, 12, 18, 24),
        num_classes=21, align_corners=False, loss_decode=dict(type='FgBgBalancedCELoss', loss_weight=1.0)),
    auxiliary_head=None)
optim_wrapper = dict(
    paramwise_cfg=dict(_delete_=True, custom_keys={
        'decode_head': dict(lr_mult=10.0),
        **{f'decode_head.aspp.{i}.bias': dict(lr_mult=20.0, decay_mult=0.0) for i in range(4)}}))
