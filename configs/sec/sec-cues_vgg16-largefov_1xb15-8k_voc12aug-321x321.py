# The two classifiers of SEC's localization cues on PASCAL VOC, for tools/sec/make_cues.py (`--preset voc` is
# this file): VGG-16 nets at 321x321 with Caffe's BGR mean, the solver of SEC training/solver.prototxt with
# stepsize 4000 (SEC weak-localization/foreground, .../background). The tool sets the class count and the
# --pretrained init (the converted vgg16_20M).
fg_model = dict(type='CAMClassifier', backbone=dict(type='VGG16LargeFOV', arch='cam', fc7_relu=True, out_indices=(2, 5)),
                in_channels=1024, freeze_bn=False)
# the saliency is taken at the stride-8 conv4 output (outs[0]), the classification at the last conv output
bg_model = dict(type='SECSaliencyClassifier',
                backbone=dict(type='VGG16LargeFOV', arch='cam', with_fc=False, out_indices=(2, 4)), in_channels=512,
                saliency_index=0)
backbone_out_indices = None  # as written above
cue_data = dict(size=321, mean=[104.008, 116.669, 122.675], std=[1.0, 1.0, 1.0], to_rgb=False)
cue_train = dict(iters=8000, step=4000, lr=1e-3, batch_size=15)
