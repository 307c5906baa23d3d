"""Convert PyTorch-Encoding resnet101s weights (BLPSeg's ImageNet backbone) to mmseg ResNetV1c keys.

Usage: python tools/model_converters/resnet_encoding2mmseg.py resnet101s-03a0f310.pth \
           checkpoints/resnet101s_encoding_mmseg.pth
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import torch  # noqa: E402

from mmwsss.models.utils.ckpt_convert import encoding_resnet_to_mmseg  # noqa: E402
from mmwsss.utils import atomic_write  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src')
    parser.add_argument('dst')
    args = parser.parse_args()
    ckpt = torch.load(args.src, map_location='cpu', weights_only=True)
    state = ckpt.get('state_dict', ckpt)
    converted = encoding_resnet_to_mmseg(state)
    with atomic_write(args.dst) as f:
        torch.save(converted, f)
    print(f'{len(converted)} tensors written to {args.dst}')


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
