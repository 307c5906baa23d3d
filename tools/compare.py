"""Train (or reuse), evaluate and compare the methods of a suite; write Markdown/CSV tables and a chart.

Usage:
    python tools/compare.py [SUITE] [--work-dir work_dirs/comparison] [--data-root DIR] [--only a b] [--jobs N]
SUITE defaults to configs/comparison/embedded_main_suite.py, the main job's suite (four entries on the
embedded dataset, 21-33 min measured with --jobs 2 on 2 CPU cores, see the README);
configs/comparison/embedded_suite.py adds DeepLabV3 and the partial-CE baseline.
"""
import argparse
import functools
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from mmwsss.comparison.runner import compare_suite  # noqa: E402

DEFAULT_SUITE = osp.join(osp.dirname(osp.abspath(__file__)), '..', 'configs', 'comparison',
                         'embedded_main_suite.py')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('suite', nargs='?', default=DEFAULT_SUITE)
    parser.add_argument('--work-dir', default='work_dirs/comparison')
    parser.add_argument('--data-root', help='a dataset in the documented layout (default: embedded)')
    parser.add_argument('--only', nargs='+', help='run only these suite entries')
    parser.add_argument('--progress-interval', type=float, default=20.0,
                        help='seconds between status lines of the running entries (0: none)')
    parser.add_argument('--jobs', type=int, default=1,
                        help='entries run side by side (entries sharing a first stage stay in one chain)')
    args = parser.parse_args()
    compare_suite(args.suite, args.work_dir, data_root=args.data_root, only=args.only, jobs=args.jobs,
                  progress_interval=args.progress_interval, log=functools.partial(print, flush=True))


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
