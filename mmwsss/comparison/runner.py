"""Config-level comparison of methods: run a suite, collect metrics, write a table and a chart.

A suite is a list of entries (see ``configs/comparison/embedded_suite.py``)::

    dict(name='blpseg', method='BLPSeg', supervision='scribbles', backbone='R-18 (1/4 width), OS 8',
         schedule='2k it, batch 8', metric='mIoU', bound='fully_supervised',
         steps=[dict(cmd=['{python}', 'tools/train.py', CONFIG, '--work-dir', '{work_dir}'],
                     creates='{work_dir}/iter_2000.pth'),
                dict(cmd=['{python}', 'tools/test.py', CONFIG, '{work_dir}/iter_2000.pth',
                          '--work-dir', '{work_dir}', '--metrics-out', '{work_dir}/metrics.json'],
                     creates='{work_dir}/metrics.json', kind='eval')])

Every step runs as a subprocess from the repository root with ``{python}``, ``{work_dir}``,
``{data_root}`` and ``{repo}`` filled in; a step whose ``creates`` file exists is skipped (finished
work is reused; a killed suite resumes). An interrupted ``tools/train.py`` step continues from the last
checkpoint in its ``--work-dir`` (``--resume``) instead of iteration 0. Each step's output is appended to
``<work_dir>/step<k>.log`` under a dated header line. The last step writes the metrics JSON.

``jobs > 1`` runs entries side by side, each with ``cpu_count // jobs`` torch threads. Entries whose steps
create the same path (a shared first stage) stay in one sequential chain, and so does
an entry with ``needs=[names]``: it reads what those entries write (estimated masks, peaks) and runs after them.
Chains start in suite order, except that a chain holding an entry with a higher ``priority`` (default 0) starts
earlier: give the longest runs a priority so that the short ones fill the other slots at the end.
"""
import csv
import json
import os
import os.path as osp
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence

from ..utils.io import atomic_write
from ..utils.progress import ProgressMonitor, format_seconds

__all__ = ['load_suite', 'run_entry', 'run_suite', 'write_report', 'compare_suite']

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_suite(path: str) -> List[dict]:
    """Read ``suite = [...]`` from a Python suite file and check every entry.

    A suite file may set ``extends = 'other_suite.py'`` (relative to itself): its entries come first.
    With ``select = [name, ...]`` it takes only those entries of ``extends``, in that order.
    ``priority = {name: int}`` sets the ``priority`` of entries (the start order with ``jobs > 1``).
    The file runs as plain Python; its steps come from :mod:`mmwsss.comparison.steps` or are written out.
    """
    from mmengine.config import Config
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: suite file not found')
    cfg = Config.fromfile(path, lazy_import=False)  # plain Python: suite files import their step builders
    suite = list(cfg.get('suite') or [])
    if not suite and not cfg.get('select'):
        raise ValueError(f'{path}: defines no `suite = [...]` list')
    if cfg.get('extends'):
        base = load_suite(osp.join(osp.dirname(path), cfg.extends))
        if cfg.get('select'):
            by_name = {e['name']: e for e in base}
            missing = [n for n in cfg.select if n not in by_name]
            if missing:
                raise ValueError(f'{path}: select names entries that {cfg.extends} does not have: {missing}')
            base = [by_name[n] for n in cfg.select]
        suite = base + suite
    elif cfg.get('select'):
        raise ValueError(f'{path}: `select` needs `extends`')
    names = set()
    for i, entry in enumerate(suite):
        for key in ('name', 'method', 'supervision', 'backbone', 'schedule', 'metric', 'steps'):
            if key not in entry:
                raise ValueError(f'{path}: suite entry {i} ({entry.get("name", "?")}) has no {key!r}')
        if entry['name'] in names:
            raise ValueError(f'{path}: duplicate suite entry name {entry["name"]!r}')
        names.add(entry['name'])
    priority = dict(cfg.get('priority') or {})
    unknown = sorted(set(priority) - names)
    if unknown:
        raise ValueError(f'{path}: priority names unknown entries {unknown}')
    suite = [dict(e, priority=priority[e['name']]) if e['name'] in priority else e for e in suite]
    for entry in suite:
        unknown = [n for n in entry.get('needs', ()) if n not in names]
        if unknown:
            raise ValueError(f'{path}: suite entry {entry["name"]!r} needs unknown entries {unknown}')
    return [dict(e) for e in suite]


def _fill(value, ctx: Dict[str, str]):
    return value.format(**ctx) if isinstance(value, str) else value


def _context(entry: dict, work_root: str, data_root: Optional[str], python: str) -> Dict[str, str]:
    return dict(python=python, work_dir=osp.abspath(osp.join(work_root, entry['name'])), repo=REPO,
                data_root=osp.abspath(data_root) if data_root else osp.join(REPO, 'data', 'synthetic'))


def run_entry(entry: dict, work_root: str, data_root: Optional[str] = None, python: str = sys.executable,
              log=print, threads: Optional[int] = None, monitor: Optional[ProgressMonitor] = None) -> dict:
    """Run (or reuse) the steps of one entry and return its result row.

    ``threads`` sets ``OMP_NUM_THREADS`` of the steps (unset: inherited). ``monitor`` reports the progress of
    each running step from its log; a summary line is logged when the entry finishes.
    """
    entry_start = time.time()
    ctx = _context(entry, work_root, data_root, python)
    work_dir = ctx['work_dir']
    os.makedirs(work_dir, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    if threads:
        env['OMP_NUM_THREADS'] = str(threads)
    if data_root:
        env['MMWSSS_DATA_ROOT'] = ctx['data_root']
    timing_path = osp.join(work_dir, 'timing.json')
    timing = json.load(open(timing_path)) if osp.isfile(timing_path) else {}
    ran = False
    for k, step in enumerate(entry['steps']):
        creates = _fill(step.get('creates'), ctx)
        key = f'step{k}'
        # once a step ran, the later ones depend on its new output: an older metrics.json next to a retrained
        # model (e.g. after a schedule change) must not be reused
        if creates and osp.exists(creates) and not ran:
            log(f'[{entry["name"]}] step {k + 1}/{len(entry["steps"])}: reusing {creates}')
            continue
        cmd = [_fill(c, ctx) for c in step['cmd']]
        # an interrupted training continues from its last checkpoint, unless an earlier step just rewrote its
        # inputs (then the old checkpoints belong to other inputs and training starts over)
        resume_from = None if ran else _interrupted_training(cmd)
        if resume_from:
            cmd.append('--resume')
        ran = True
        if creates and osp.isfile(creates):
            # the step reruns: its old marker must not outlive a failed or killed run and pass for the new output
            os.remove(creates)
        log(f'[{entry["name"]}] step {k + 1}/{len(entry["steps"])}: {" ".join(cmd)}'
            + (f'  (resuming from {resume_from})' if resume_from else ''))
        start = time.time()
        step_log = osp.join(work_dir, f'{key}.log')
        if monitor is not None:
            monitor.start(entry['name'], step_log, f'step {k + 1}/{len(entry["steps"])}')
        try:
            # appended: the log of an interrupted attempt stays above the one that resumed it
            with open(step_log, 'a') as logf:
                logf.write(f'===== {time.strftime("%Y-%m-%d %H:%M:%S")} {" ".join(cmd)}\n')
                logf.flush()
                proc = subprocess.run(cmd, cwd=REPO, env=env, stdout=logf, stderr=subprocess.STDOUT)
        finally:
            if monitor is not None:
                monitor.stop(entry['name'])
        if proc.returncode != 0:
            raise RuntimeError(f'[{entry["name"]}] step {k + 1} failed (exit {proc.returncode}); see '
                               f'{osp.join(work_dir, key + ".log")}')
        timing[key] = dict(seconds=time.time() - start, kind=step.get('kind', 'train'))
        with atomic_write(timing_path, 'w') as f:
            json.dump(timing, f, indent=2)
    metrics_path = osp.join(work_dir, 'metrics.json')
    if not osp.isfile(metrics_path):
        raise FileNotFoundError(f'{metrics_path}: the last step of {entry["name"]} wrote no metrics')
    with open(metrics_path) as f:
        metrics = json.load(f)
    if entry['metric'] not in metrics:
        raise KeyError(f'{metrics_path}: no metric {entry["metric"]!r} (has {sorted(metrics)})')
    timed = [t['seconds'] for t in timing.values() if t.get('kind', 'train') != 'eval']
    # reused work dirs (trained outside the suite) have no timing: report none rather than 0
    train_minutes = sum(timed) / 60.0 if timed else None
    row = dict(name=entry['name'], method=entry['method'], supervision=entry['supervision'],
               backbone=entry['backbone'], schedule=entry['schedule'], metric=entry['metric'],
               value=float(metrics[entry['metric']]), train_minutes=train_minutes,
               bound=entry.get('bound'), notes=_extra_metrics(entry, ctx))
    if ran:
        log(f'[{entry["name"]}] finished in {format_seconds(time.time() - entry_start)}: '
            f'{entry["metric"]} {row["value"]:.2f}')
    return row


def _interrupted_training(cmd: Sequence[str]) -> Optional[str]:
    """The checkpoint an interrupted ``tools/train.py`` command left in its ``--work-dir``
    (:func:`mmwsss.utils.checkpoint.latest_checkpoint`), or ``None`` (not a training command, already resuming,
    nothing saved yet)."""
    if not any(str(c).replace(os.sep, '/').endswith('tools/train.py') for c in cmd) or '--resume' in cmd:
        return None
    if '--work-dir' not in cmd or cmd.index('--work-dir') + 1 >= len(cmd):
        return None
    work_dir = cmd[cmd.index('--work-dir') + 1]
    work_dir = work_dir if osp.isabs(work_dir) else osp.join(REPO, work_dir)
    from ..utils.checkpoint import latest_checkpoint
    return latest_checkpoint(work_dir)


def _extra_metrics(entry: dict, ctx: Dict[str, str]) -> str:
    """``extra_metrics=dict(label=(json_path, key[, scale]))`` of an entry as ``'label value; ...'``.

    Files or keys that do not exist are skipped (e.g. a stage that was reused from elsewhere).
    """
    parts = []
    for label, spec in entry.get('extra_metrics', {}).items():
        path, key = _fill(spec[0], ctx), spec[1]
        scale = spec[2] if len(spec) > 2 else 1.0
        if osp.isfile(path):
            with open(path) as f:
                value = json.load(f).get(key)
            if isinstance(value, (int, float)):
                parts.append(f'{label} {value * scale:.2f}')
    return '; '.join(parts)


def _chains(entries: Sequence[dict], work_root: str, data_root: Optional[str]) -> List[List[dict]]:
    """Group entries (order kept) so that entries creating a common path, or needing one another, share a chain."""
    chains: List[List[dict]] = []
    owner: Dict[str, int] = {}  # shared path (or 'entry:<name>') -> chain index
    for e in entries:
        ctx = _context(e, work_root, data_root, sys.executable)
        # every created path: another entry may create one inside this entry's work dir (a reused stage)
        shared = {osp.normpath(_fill(st['creates'], ctx)) for st in e['steps'] if st.get('creates')}
        # an entry that reads another's outputs joins its chain (selected entries only; order is kept)
        hits = sorted({owner[p] for p in shared | {'entry:' + n for n in e.get('needs', ())} if p in owner})
        shared.add('entry:' + e['name'])
        if hits:
            k = hits[0]
            for j in hits[1:]:  # this entry joins chains that were separate so far
                chains[k].extend(chains[j])
                chains[j] = []
                owner.update({p: k for p, v in owner.items() if v == j})
        else:
            k = len(chains)
            chains.append([])
        chains[k].append(e)
        owner.update({p: k for p in shared})
    return [c for c in chains if c]


def _by_priority(chains: List[List[dict]]) -> List[List[dict]]:
    """The order in which chains start: highest entry ``priority`` first (default 0), else suite order."""
    return sorted(chains, key=lambda c: -max(e.get('priority', 0) for e in c))


def _serialised(log):
    """``log`` with one caller at a time: a line (``print`` writes the text and the newline separately) is never
    split by another thread's line."""
    lock = threading.Lock()

    def locked(*args, **kwargs):
        with lock:
            return log(*args, **kwargs)

    return locked


def run_suite(suite: Sequence[dict], work_root: str, data_root: Optional[str] = None,
              only: Optional[Sequence[str]] = None, log=print, jobs: int = 1,
              progress_interval: float = 20.0) -> List[dict]:
    """Run every entry (or those named in ``only``) and attach the bound's value to each row.

    ``jobs``: entries run side by side (see the module docstring); 1 = one after the other.
    ``progress_interval``: seconds between status lines of the running steps (entry, iteration / total,
    loss, ETA read from their logs); <= 0 prints none.
    """
    selected = [e for e in suite if not only or e['name'] in only]
    log = _serialised(log)  # the progress thread and the side-by-side entries log at the same time
    if only:
        unknown = set(only) - {e['name'] for e in suite}
        if unknown:
            raise KeyError(f'unknown suite entries {sorted(unknown)}; known: {[e["name"] for e in suite]}')
    with ProgressMonitor(progress_interval, log) as monitor:
        if jobs <= 1:
            rows = [run_entry(e, work_root, data_root, log=log, monitor=monitor) for e in selected]
        else:
            threads = max(1, (os.cpu_count() or 1) // jobs)
            by_entry = {}

            def run_chain(chain):
                for e in chain:
                    by_entry[e['name']] = run_entry(e, work_root, data_root, log=log, threads=threads,
                                                    monitor=monitor)

            with ThreadPoolExecutor(jobs) as pool:
                chains = _by_priority(_chains(selected, work_root, data_root))
                for future in [pool.submit(run_chain, c) for c in chains]:
                    future.result()  # re-raises a failed step
            rows = [by_entry[e['name']] for e in selected]
    by_name = {r['name']: r for r in rows}
    for row in rows:
        bound = by_name.get(row['bound']) if row['bound'] else None
        row['bound_value'] = bound['value'] if bound and bound['metric'] == row['metric'] else None
        row['ratio'] = (row['value'] / row['bound_value']) if row['bound_value'] else None
    return rows


def write_report(rows: List[dict], out_dir: str, title: str = 'mmwsss method comparison') -> Dict[str, str]:
    """Write ``comparison.md``, ``comparison.csv`` and ``comparison.png``; return their paths."""
    os.makedirs(out_dir, exist_ok=True)
    cols = ['method', 'supervision', 'backbone', 'schedule', 'train_minutes', 'metric', 'value',
            'bound_value', 'ratio', 'notes']
    csv_path = osp.join(out_dir, 'comparison.csv')
    with atomic_write(csv_path, 'w') as f:
        writer = csv.DictWriter(f, fieldnames=['name'] + cols)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: r.get(k) for k in ['name'] + cols})

    def fmt(v, digits=1):
        return '–' if v is None else (f'{v:.{digits}f}' if isinstance(v, float) else str(v))

    lines = [f'| Method | Supervision | Backbone | Schedule | Train time (min) | Metric | Value | '
             f'Fully-supervised bound | % of bound | Notes |', '|' + '---|' * 10]
    for r in rows:
        pct = None if r.get('ratio') is None else 100.0 * r['ratio']
        lines.append(f'| {r["method"]} | {r["supervision"]} | {r["backbone"]} | {r["schedule"]} | '
                     f'{fmt(r["train_minutes"])} | {r["metric"]} | {fmt(r["value"], 2)} | '
                     f'{fmt(r.get("bound_value"), 2)} | {fmt(pct)} | {r.get("notes") or ""} |')
    md_path = osp.join(out_dir, 'comparison.md')
    with atomic_write(md_path, 'w') as f:
        f.write(f'# {title}\n\n' + '\n'.join(lines) + '\n')

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    # horizontal bars: long method names stay readable for any number of rows
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.2))
    names = [f'{r["method"]} ({r["supervision"]})' for r in rows]
    colors = ['#888888' if r['bound'] is None else '#3b75af' for r in rows]
    ys = list(range(len(rows)))[::-1]  # first row on top
    bars = ax.barh(ys, [r['value'] for r in rows], color=colors)
    for bar, r in zip(bars, rows):
        pct = '' if r.get('ratio') is None else f' ({100.0 * r["ratio"]:.0f} %)'
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f' {r["value"]:.1f}{pct}', va='center',
                fontsize=7)
    ax.set_yticks(ys)
    ax.set_yticklabels(names, fontsize=7)
    ax.set_xlabel(' / '.join(sorted({r['metric'] for r in rows})) + '  (grey: bounds; % of the bound in brackets)',
                  fontsize=8)
    ax.set_xlim(0, max([r['value'] for r in rows] + [1.0]) * 1.2)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    png_path = osp.join(out_dir, 'comparison.png')
    fig.savefig(png_path + '.tmp.png', dpi=120)
    os.replace(png_path + '.tmp.png', png_path)
    plt.close(fig)
    return dict(markdown=md_path, csv=csv_path, png=png_path)


def compare_suite(suite_path: str, work_dir: str, data_root: Optional[str] = None,
                  only: Optional[Sequence[str]] = None, title: str = 'mmwsss method comparison',
                  log=print, jobs: int = 1, progress_interval: float = 20.0) -> Dict[str, str]:
    """Load a suite file, run it, write the report and print the Markdown table; return the paths."""
    rows = run_suite(load_suite(suite_path), work_dir, data_root=data_root, only=only, log=log, jobs=jobs,
                     progress_interval=progress_interval)
    paths = write_report(rows, work_dir, title=title)
    with open(paths['markdown']) as f:
        log(f.read())
    log(f'[compare] tables and chart: {paths["markdown"]}, {paths["csv"]}, {paths["png"]}')
    return paths
