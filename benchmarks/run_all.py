"""Run every benchmark and rewrite the table of current figures in benchmarks/README.md.

Each benchmark writes its figures to a JSON file (``--json``); this script runs them one after the other (never
two at once: they time themselves), collects the figures and replaces the part of ``benchmarks/README.md``
between the ``figures`` markers with one table, the commands and the machine.

Usage::

    python benchmarks/run_all.py                    # all benchmarks (about 20-40 min on 2 busy cores)
    python benchmarks/run_all.py --only crf lam     # some of them; the other rows keep their saved figures
    python benchmarks/run_all.py --table-only       # rebuild the table from the saved figures

The figures are saved in ``benchmarks/results/<name>.json`` (committed with the README, so that a partial run
keeps the other rows).
"""
import argparse
import datetime
import json
import os
import os.path as osp
import platform
import subprocess
import sys

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(HERE)
RESULTS = osp.join(HERE, 'results')
README = osp.join(HERE, 'README.md')
START, END = '<!-- figures:start -->', '<!-- figures:end -->'

BENCHMARKS = dict(
    crf=['benchmarks/bench_crf.py', '--parts', 'abc'],
    lam=['benchmarks/bench_lam.py'],
    offline_voc=['benchmarks/bench_offline_voc.py', '--images', '2'],
    train_step=['benchmarks/bench_train_step.py'],
)


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    import torch
    # the vector instructions PyTorch's CPU kernels use (AVX2, AVX512, ...): figures move with them
    return dict(cpu=cpu, isa=torch.backends.cpu.get_cpu_capability(), cores=os.cpu_count(), torch=torch.__version__,
                cuda=torch.cuda.is_available(),
                load=[round(x, 1) for x in os.getloadavg()],
                date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'))


def run(name: str) -> None:
    os.makedirs(RESULTS, exist_ok=True)
    out = osp.join(RESULTS, name + '.json')
    cmd = [sys.executable] + BENCHMARKS[name] + ['--json', out + '.tmp']
    print(f'[run_all] {name}: {" ".join(cmd[1:])}', flush=True)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    before = machine()
    proc = subprocess.run(cmd, cwd=ROOT, env=env)
    if proc.returncode != 0:
        raise SystemExit(f'[run_all] {name} failed (exit {proc.returncode})')
    with open(out + '.tmp') as f:
        figures = json.load(f)
    os.remove(out + '.tmp')
    with open(out, 'w') as f:
        json.dump(dict(command='python ' + ' '.join(BENCHMARKS[name]), machine=before, figures=figures), f, indent=1,
                  default=str)


def _f(v, fmt='.2f'):
    return '–' if v is None else format(v, fmt)


def rows_crf(fig):
    rows = []
    b = fig.get('b') or {}
    base = b.get('pydensecrf, image by image')
    lat = b.get('torch lattice, CPU (training: kernel cached)')
    if base and lat:
        rows.append(('CRF, SEC training batch (15 x 41x41, 21 classes, 10 it.)', 'torch lattice / pydensecrf time',
                     f'{lat[1] / base[1]:.2f}x CPU, {lat[0] / base[0]:.2f}x wall ({lat[1]:.0f} vs {base[1]:.0f} ms CPU)',
                     '<= 1.5x'))
    for k, v in b.items():
        if 'CUDA' in k:
            rows.append((f'CRF, SEC training batch, {k}', 'ms per batch', f'{v[0]:.1f}', ''))
    c = fig.get('c') or {}
    if 'pydensecrf' in c and 'torch' in c:
        t, p = c['torch'], c['pydensecrf']
        rows.append(('CRF, 500x375, 21 classes, 10 it.', 'torch lattice / pydensecrf time',
                     f'{t[1] / p[1]:.2f}x CPU, {t[0] / p[0]:.2f}x wall ({t[1]:.2f} vs {p[1]:.2f} s CPU); '
                     f'memory {t[2]:.0f} vs {p[2]:.0f} MB', '<= 1.5x'))
    if 'torch-cuda' in c:
        rows.append(('CRF, 500x375, torch on CUDA', 's; peak MB', f'{c["torch-cuda"][0]:.3f} s; '
                     f'{c["torch-cuda"][2]:.0f} MB', ''))
    a = fig.get('a') or {}
    for k, v in a.items():
        if k.endswith('/lattice'):
            inputs = {'scenes': 'scenes, 41x41', 'photographs': 'photographs, 41x41', 'fullres': '500x375'}
            rows.append((f'CRF agreement with pydensecrf ({inputs.get(k.split("/")[0], k)})',
                         'argmax agreement; mean |dQ|',
                         f'{100 * v[0]:.3f} %; {v[1]:.1e}', '>= 98 %; <= 0.005'))
    return rows


def rows_lam(fig):
    lin = fig.get('linear') or {}
    if not lin:
        return []
    return [(f'BLPSeg LAM, {fig["grid"]}x{fig["grid"]}, batch {fig["batch"]}, fwd+bwd, {fig["device"]}',
             'dense / linear: speed; memory; max |output diff|',
             f'{lin.get("cpu_speed_ratio", lin["speed_ratio"]):.2f}x CPU ({lin["speed_ratio"]:.2f}x wall); '
             f'{lin["memory_ratio"]:.1f}x; {lin["max_out_diff"]:.1e}', '>= 5x; >= 20x; < 1e-4')]


def rows_offline(fig):
    rows = []
    for r in fig.get('rows', []):
        if 'error' in r:
            rows.append((f'offline stage at VOC size: {r["stage"]}', 'failed', r['error'][-80:], ''))
            continue
        rows.append((f'offline stage at VOC size: {r["stage"]}', 'CPU s/image; peak RSS; VOC train_aug / COCO train',
                     f'{r["cpu_s_per_image"]:.2f} s; {r["peak_rss_mb"]:.0f} MB; {r["voc_train_aug_h"]:.1f} h / '
                     f'{r["coco_train_h"]:.1f} h', 'peak <= 4096 MB'))
    return rows


def rows_train_step(fig):
    rows = []
    for r in fig.get('rows', []):
        if 'error' in r:
            rows.append((f'training step: {r["method"]}', 'failed', r['error'][-80:], ''))
            continue
        rows.append((f'training step: {r["method"]} vs {r["baseline"]} ({r["crop"]}, batch {r.get("batch", 1)}, CPU)',
                     'CPU s/iter; peak RSS; ratio to the plain model',
                     f'{r["cpu_s"]:.2f} vs {r["base_cpu_s"]:.2f} s ({r["time_ratio"]:.2f}x); '
                     f'{r["peak_mb"]:.0f} vs {r["base_peak_mb"]:.0f} MB ({r["memory_ratio"]:.2f}x)', ''))
    return rows


ROWS = dict(crf=rows_crf, lam=rows_lam, offline_voc=rows_offline, train_step=rows_train_step)


def table() -> str:
    lines = ['| benchmark | figure | value | goal |', '|---|---|---|---|']
    notes = []
    for name in BENCHMARKS:
        path = osp.join(RESULTS, name + '.json')
        if not osp.isfile(path):
            lines.append(f'| {name} | not run yet | `python benchmarks/run_all.py --only {name}` | |')
            continue
        with open(path) as f:
            saved = json.load(f)
        for row in ROWS[name](saved['figures']):
            lines.append('| ' + ' | '.join(str(c).replace('|', '\\|') for c in row) + ' |')
        m = saved['machine']
        cpu = f'{m["cpu"]} ({m["isa"]})' if m.get('isa') else m['cpu']
        notes.append(f'* {name}: `{saved["command"]}` on {m["date"]}, {cpu}, {m["cores"]} cores, '
                     f'torch {m["torch"]}, CUDA {"yes" if m["cuda"] else "no"}, load average '
                     f'{" ".join(str(x) for x in m["load"])} at the start')
    return '\n'.join(lines) + '\n\nCommands and machines:\n\n' + '\n'.join(notes) + '\n'


def write_readme() -> None:
    with open(README) as f:
        text = f.read()
    if START not in text or END not in text:
        raise SystemExit(f'{README}: no {START} ... {END} markers')
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    with open(README + '.tmp', 'w') as f:
        f.write(head + START + '\n' + table() + END + tail)
    os.replace(README + '.tmp', README)
    print(f'[run_all] wrote the table of {README}')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--only', nargs='+', choices=sorted(BENCHMARKS), help='run only these benchmarks')
    ap.add_argument('--table-only', action='store_true', help='only rebuild the table from the saved figures')
    args = ap.parse_args()
    if not args.table_only:
        for name in args.only or BENCHMARKS:
            run(name)
    write_readme()


if __name__ == '__main__':
    main()
