# W-OoD on the embedded dataset with a mined hard OoD set instead of the 150 shipped OoD images: the 150 images of
# a 900-image candidate pool that the stage-0 classifier scores highest, 25 per class in turn (the paper ranks its
# candidates by the classifier's prediction score, W-OoD run_sample.py). Make the pool and the list first:
#   python tools/dataset_converters/make_synthetic.py data/synthetic/ood_pool --num-train 0 --num-val 0 \
#       --num-web-per-class 0 --num-ood 900
#   python tools/wood/mine_hard_ood.py configs/wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py work_dirs/cam_r18-d8_1xb8-2k_synthetic-112x112/iter_2000.pth \
#       --pool-root data/synthetic/ood_pool/ood_images --pool-list data/synthetic/ood_pool/ood_list.txt --num 150 \
#       --out data/synthetic/ood_pool/ood_list_hard.txt
# The pool lives inside the dataset folder (<data_root>/ood_pool), so data_root moves it with the rest.
_base_ = ['./wood_r18-d8_1xb8-500it_synthetic-112x112.py']
_hard = dict(data_root={{_base_.data_root}}, ood_list='ood_pool/ood_list_hard.txt', ood_root='ood_pool/ood_images')
train_dataloader = dict(dataset=dict(ood_dataset=_hard))  # merged into the base's OoD dataset
custom_hooks = [  # a list replaces the base's: the prototype hook again, its OoD loader on the mined set
    dict(type='RNGStateHook'),  # the runtime's: random-generator states in checkpoints (exact --resume)
    dict(
        type='WOoDPrototypeHook',
        id_dataloader={{_base_.proto_id_dataloader}},
        ood_dataloader=dict(
            batch_size=1, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(type='OoDImageDataset', num_classes=7, pipeline={{_base_.proto_ood_pipeline}}, **_hard)))
]
