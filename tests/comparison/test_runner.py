import csv
import json
import os.path as osp
import re

import pytest

from mmwsss.comparison.runner import compare_suite, load_suite, run_suite, write_report

from ..conftest import REPO

EMBEDDED_SUITES = ['embedded_suite.py', 'embedded_main_suite.py', 'embedded_full_suite.py', 'embedded_ablation_suite.py']
WRITE_METRIC = ("import json,sys; json.dump({{'mIoU': float(sys.argv[2])}}, open(sys.argv[1], 'w'))")


def _entry(name, value, bound='full', metric='mIoU'):
    return dict(name=name, method=name.upper(), supervision='test', backbone='tiny', schedule='0 it',
                metric=metric, bound=bound,
                steps=[dict(cmd=['{python}', '-c', "open('{work_dir}/trained', 'w').write('x')"],
                            creates='{work_dir}/trained'),
                       dict(cmd=['{python}', '-c', WRITE_METRIC, '{work_dir}/metrics.json', str(value)],
                            creates='{work_dir}/metrics.json', kind='eval')])


def test_run_suite_table_and_reuse(tmp_path):
    suite = [_entry('full', 80.0, bound=None), _entry('weak', 60.0)]
    rows = run_suite(suite, str(tmp_path), log=lambda *_: None)
    assert [r['value'] for r in rows] == [80.0, 60.0]
    assert rows[1]['bound_value'] == 80.0 and rows[1]['ratio'] == pytest.approx(0.75)
    assert rows[0]['ratio'] is None
    paths = write_report(rows, str(tmp_path))
    md = open(paths['markdown']).read()
    assert '| WEAK | test | tiny | 0 it |' in md and '| 60.00 | 80.00 | 75.0 |' in md
    with open(paths['csv']) as f:
        table = list(csv.DictReader(f))
    assert table[1]['name'] == 'weak' and float(table[1]['ratio']) == pytest.approx(0.75)
    assert osp.getsize(paths['png']) > 1000
    # finished steps are reused: a changed command is not run again
    suite[1]['steps'][1]['cmd'][-1] = '10.0'
    messages = []
    rows = run_suite(suite, str(tmp_path), only=['weak'], log=messages.append)
    assert rows[0]['value'] == 60.0 and all('reusing' in m for m in messages)


def test_steps_after_a_rerun_step_run_again(tmp_path):
    """A retrained model (its checkpoint missing, e.g. after a schedule change) is evaluated again, not paired
    with the metrics.json of the old one."""
    suite = [_entry('full', 80.0, bound=None)]
    assert run_suite(suite, str(tmp_path), log=lambda *_: None)[0]['value'] == 80.0
    (tmp_path / 'full' / 'trained').unlink()
    suite[0]['steps'][1]['cmd'][-1] = '70.0'
    messages = []
    assert run_suite(suite, str(tmp_path), log=messages.append)[0]['value'] == 70.0
    assert not any('reusing' in m for m in messages)


def test_failing_step_names_its_log(tmp_path):
    entry = _entry('bad', 1.0, bound=None)
    entry['steps'][0]['cmd'] = ['{python}', '-c', 'raise SystemExit(3)']
    with pytest.raises(RuntimeError, match=r'\[bad\] step 1 failed \(exit 3\); see .*step0.log'):
        run_suite([entry], str(tmp_path), log=lambda *_: None)


def test_suite_extends_another(tmp_path):
    (tmp_path / 'base.py').write_text("suite = [dict(name='a', method='A', supervision='s', backbone='b', "
                                      "schedule='x', metric='m', steps=[])]\n")
    (tmp_path / 'more.py').write_text("extends = 'base.py'\nsuite = [dict(name='b', method='B', supervision='s', "
                                      "backbone='b', schedule='x', metric='m', steps=[])]\n")
    assert [e['name'] for e in load_suite(str(tmp_path / 'more.py'))] == ['a', 'b']
    (tmp_path / 'dup.py').write_text("extends = 'base.py'\nsuite = [dict(name='a', method='B', supervision='s', "
                                     "backbone='b', schedule='x', metric='m', steps=[])]\n")
    with pytest.raises(ValueError, match="duplicate suite entry name 'a'"):
        load_suite(str(tmp_path / 'dup.py'))
    (tmp_path / 'needs.py').write_text("extends = 'base.py'\nsuite = [dict(name='b', method='B', supervision='s', "
                                       "backbone='b', schedule='x', metric='m', steps=[], needs=['a', 'zz'])]\n")
    with pytest.raises(ValueError, match=r"entry 'b' needs unknown entries \['zz'\]"):
        load_suite(str(tmp_path / 'needs.py'))
    # select: the named entries of the extended suite, in the given order
    (tmp_path / 'sel.py').write_text("extends = 'more.py'\nselect = ['b', 'a']\n")
    assert [e['name'] for e in load_suite(str(tmp_path / 'sel.py'))] == ['b', 'a']
    (tmp_path / 'sel_bad.py').write_text("extends = 'more.py'\nselect = ['b', 'zzz']\n")
    with pytest.raises(ValueError, match=r"sel_bad.py: select names entries .* \['zzz'\]"):
        load_suite(str(tmp_path / 'sel_bad.py'))
    (tmp_path / 'sel_alone.py').write_text("select = ['a']\n")
    with pytest.raises(ValueError, match='`select` needs `extends`'):
        load_suite(str(tmp_path / 'sel_alone.py'))


def test_unknown_entry_and_bad_suite(tmp_path):
    with pytest.raises(KeyError, match='unknown suite entries'):
        run_suite([_entry('a', 1.0)], str(tmp_path), only=['zzz'])
    path = tmp_path / 'suite.py'
    path.write_text("suite = [dict(name='a', method='A')]\n")
    with pytest.raises(ValueError, match="suite entry 0 \\(a\\) has no 'supervision'"):
        load_suite(str(path))


def test_extra_metrics_and_untimed_reuse(tmp_path):
    entry = _entry('weak', 50.0, bound=None)
    entry['extra_metrics'] = dict(CAM=('{work_dir}/cam.json', 'best_miou'), est=('{work_dir}/est.json', 'miou', 100.0),
                                  missing=('{work_dir}/nothing.json', 'x'))
    entry['steps'].insert(1, dict(cmd=['{python}', '-c', "import json; json.dump({{'best_miou': 31.5}}, "
                                       "open('{work_dir}/cam.json', 'w')); json.dump({{'miou': 0.25}}, "
                                       "open('{work_dir}/est.json', 'w'))"]))
    row = run_suite([entry], str(tmp_path), log=lambda *_: None)[0]
    assert row['notes'] == 'CAM 31.50; est 25.00' and row['train_minutes'] >= 0
    md = open(write_report([row], str(tmp_path))['markdown']).read()
    assert md.rstrip().endswith('| CAM 31.50; est 25.00 |')
    # a work dir trained outside the suite (no timing.json) reports no training time rather than 0
    other = _entry('reused', 40.0, bound=None)
    work = tmp_path / 'reused'
    work.mkdir()
    (work / 'trained').write_text('x')
    (work / 'metrics.json').write_text(json.dumps({'mIoU': 40.0}))
    row = run_suite([other], str(tmp_path), log=lambda *_: None)[0]
    assert row['train_minutes'] is None and row['value'] == 40.0
    assert '| – | mIoU | 40.00 |' in open(write_report([row], str(tmp_path))['markdown']).read()


def _step_config(cmd):
    """The config a training step runs: its file with the step's ``--cfg-options`` merged in."""
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(osp.join(REPO, cmd[2]))
    if '--cfg-options' in cmd:
        options = {}
        for item in cmd[cmd.index('--cfg-options') + 1:]:
            key, value = item.split('=', 1)
            options[key] = DictAction._parse_iterable(value)
        cfg.merge_from_dict(options)
    return cfg


@pytest.mark.parametrize('name', EMBEDDED_SUITES + ['voc_suite.py'])
def test_suite_checkpoints_match_schedules(name):
    # a step that trains CONFIG and "creates" iter_N.pth must match the config's last iteration, or the suite
    # would retrain forever (never created) or reuse a half-trained model
    import re

    for entry in load_suite(osp.join(REPO, 'configs/comparison', name)):
        for step in entry['steps']:
            cmd = step['cmd']
            if len(cmd) > 2 and cmd[1] in ('tools/train.py', 'tools/wood/train_irn.py'):
                m = re.search(r'iter_(\d+)\.pth$', step.get('creates') or '')
                assert m, (entry['name'], step)
                cfg = _step_config(cmd)
                iters = cfg.train_cfg.max_iters
                assert iters == int(m.group(1)), (entry['name'], cmd[2])
                # a shortened schedule must shorten its lr decay and its schedule-dependent switches too
                ends = [s['end'] for s in cfg.get('param_scheduler') or [] if 'end' in s]
                assert not ends or max(ends) == iters, (entry['name'], ends, iters)
                switch = next((h['start_iter'] for h in cfg.get('custom_hooks', [])
                               if h['type'] == 'PseudoLabelSwitchHook'), None)
                assert switch is None or 0 < switch < iters, (entry['name'], switch, iters)


@pytest.mark.parametrize('name', EMBEDDED_SUITES)
def test_embedded_suites_load(name):
    suite = load_suite(osp.join(REPO, 'configs/comparison', name))
    names = [e['name'] for e in suite]
    assert len(set(names)) == len(names)
    if name != 'embedded_main_suite.py':  # the main suite has no DeepLabV3 row
        assert names[0] == 'fully_supervised'
    # every bound is an entry of the same suite
    assert {e['bound'] for e in suite if e.get('bound')} <= set(names)
    # a row trains its final model on the schedule of its bound (multi-stage rows add their extra stages in
    # brackets), and its label names the length of its last training step; BESTIE's instance rows and the
    # wsscoseg initial model use the long schedule, the wsscoseg final models twice that (wsscoseg's ratio)
    by_name = {e['name']: e for e in suite}
    for e in suite:
        if e.get('bound'):
            assert e['schedule'].startswith(by_name[e['bound']]['schedule']), (e['name'], e['bound'])
        trains = [s['cmd'] for s in e['steps'] if s['cmd'][1:2] == ['tools/train.py']]
        if trains:
            step_cfg = _step_config(trains[-1])
            iters, batch = step_cfg.train_cfg.max_iters, step_cfg.train_dataloader.batch_size
            assert e['schedule'].startswith('%dk it, batch %d' % (iters // 1000, batch)), (e['name'], iters)
        if e['name'] in ('wsscoseg', 'wsscoseg_no_global', 'fully_supervised_8k'):
            expected = '8k it'
        elif e['metric'].startswith('voc_ins/') or e['name'] in ('wsscoseg_init', 'fully_supervised_long'):
            expected = '4k it'
        else:
            expected = '2k it'
        assert e['schedule'].startswith(expected), e['name']
    if name == 'embedded_main_suite.py':
        from mmwsss.comparison.steps import autocast_label
        amp = autocast_label()
        assert {e['schedule'] for e in suite} == {f'2k it, batch 8, 96², {amp}', '4k it, batch 8, 88²'}
        # every run of the main job trains on the crop its schedule names, with its -amp config (bfloat16 autocast,
        # or float32 on a CPU without bfloat16 kernels) where the schedule names the autocast precision
        for e in suite:
            cfg = _step_config(e['steps'][0]['cmd'])
            bf16 = e['schedule'].endswith(', ' + amp)
            assert (cfg.optim_wrapper.type == 'CPUAutocastOptimWrapper') == bf16, e['name']
            assert ('-amp-' in e['steps'][0]['cmd'][2]) == bf16, e['name']
            side = int(e['schedule'].split(', ')[2][:-1])
            crops = [t['crop_size'] for t in cfg.train_dataloader.dataset.pipeline if 'crop_size' in t]
            assert crops == [(side, side)], (e['name'], crops)
        # the BESTIE pair (the longest runs) and BLPSeg start first, UPerNet (the shortest) last
        from mmwsss.comparison.runner import _by_priority
        assert [c[0]['name'] for c in _by_priority([[e] for e in suite])] == \
            ['bestie_point', 'bestie_oracle', 'blpseg', 'fully_supervised_upernet']
    elif name != 'embedded_suite.py':
        assert {'sec', 'wsscoseg', 'bestie_cls', 'blpseg', 'cam_irn', 'wood'} <= set(names)
    for entry in suite:
        for step in entry['steps']:
            for part in step['cmd']:
                if part.startswith('configs/'):
                    assert osp.isfile(osp.join(REPO, part)), part


@pytest.mark.parametrize('name', ['embedded_full_suite.py', 'embedded_ablation_suite.py'])
def test_embedded_generation_steps_recompute(name):
    # an embedded step runs only when its input changed (an earlier step ran) or its marker is missing; a
    # resumable generation tool would then refuse (another checkpoint's stamp) or mix outputs, so it recomputes
    for entry in load_suite(osp.join(REPO, 'configs/comparison', name)):
        for step in entry['steps']:
            tool = step['cmd'][1]
            if tool.startswith('tools/') and "'--no-resume'" in open(osp.join(REPO, tool)).read():
                assert '--no-resume' in step['cmd'], (entry['name'], tool)


def test_compare_suite_file_end_to_end(tmp_path):
    path = tmp_path / 'suite.py'
    path.write_text(f'suite = [{_entry("full", 80.0, bound=None)!r}, {_entry("weak", 40.0)!r}]\n')
    printed = []
    paths = compare_suite(str(path), str(tmp_path / 'work'), log=printed.append)
    assert '| WEAK | test | tiny | 0 it |' in open(paths['markdown']).read()
    assert any('| 40.00 | 80.00 | 50.0 |' in p for p in printed)


def test_parallel_jobs_same_rows_and_threads(tmp_path):
    """jobs=2 gives the rows of jobs=1, in suite order, and each step gets cpu_count // 2 threads."""
    import os
    suite = [_entry('full', 80.0, bound=None), _entry('weak', 60.0), _entry('weaker', 40.0)]
    for e in suite:  # record the thread setting the step saw
        e['steps'][0]['cmd'] = ['{python}', '-c', "import os; open('{work_dir}/trained', 'w')"
                                ".write(os.environ.get('OMP_NUM_THREADS', '-'))"]
    rows = run_suite(suite, str(tmp_path), log=lambda *_: None, jobs=2)
    assert [r['name'] for r in rows] == ['full', 'weak', 'weaker']
    assert [r['value'] for r in rows] == [80.0, 60.0, 40.0]
    assert rows[2]['ratio'] == pytest.approx(0.5)
    want = str(max(1, (os.cpu_count() or 1) // 2))
    assert all((tmp_path / n / 'trained').read_text() == want for n in ('full', 'weak', 'weaker'))


def test_parallel_entries_sharing_a_stage_run_in_one_chain(tmp_path):
    """Entries that create the same path outside their work dirs are chained, the others are not."""
    from mmwsss.comparison.runner import _chains
    shared = dict(cmd=['{python}', '-c', 'pass'], creates='{work_dir}/../stage0/ckpt.pth')
    a, b, c = _entry('a', 1.0, bound=None), _entry('b', 2.0, bound=None), _entry('c', 3.0, bound=None)
    a['steps'].insert(0, dict(shared))
    c['steps'].insert(0, dict(shared))
    chains = _chains([a, b, c], str(tmp_path), None)
    assert [[e['name'] for e in ch] for ch in chains] == [['a', 'c'], ['b']]
    # an entry that reads another's outputs (needs) runs after it in its chain
    d = dict(_entry('d', 4.0, bound=None), needs=['b'])
    chains = _chains([a, b, c, d], str(tmp_path), None)
    assert [[e['name'] for e in ch] for ch in chains] == [['a', 'c'], ['b', 'd']]
    # an entry reusing a stage inside another entry's work dir (wsscoseg_init trains wsscoseg's init) joins it
    e = _entry('e', 5.0, bound=None)
    e['steps'].insert(0, dict(cmd=['{python}', '-c', 'pass'], creates='{work_dir}/../b/init.pth'))
    b2 = _entry('b', 2.0, bound=None)
    b2['steps'].insert(0, dict(cmd=['{python}', '-c', 'pass'], creates='{work_dir}/init.pth'))
    assert [[x['name'] for x in ch] for ch in _chains([b2, e, a], str(tmp_path), None)] == [['b', 'e'], ['a']]
    # a needed entry that is not selected does not hold it back
    assert [[e['name'] for e in ch] for ch in _chains([a, d], str(tmp_path), None)] == [['a'], ['d']]


def test_parallel_chains_start_by_priority(tmp_path):
    from mmwsss.comparison.runner import _by_priority, _chains
    a, b = _entry('a', 1.0, bound=None), _entry('b', 2.0, bound=None)
    c, d = dict(_entry('c', 3.0, bound=None), priority=1), dict(_entry('d', 4.0, bound=None), priority=2)
    order = _by_priority(_chains([a, b, c, d], str(tmp_path), None))
    assert [[e['name'] for e in ch] for ch in order] == [['d'], ['c'], ['a'], ['b']]
    # without priorities: suite order
    assert [ch[0]['name'] for ch in _by_priority(_chains([b, a], str(tmp_path), None))] == ['b', 'a']


def test_suite_file_priority(tmp_path):
    (tmp_path / 'base.py').write_text(f'suite = [{_entry("a", 1.0, bound=None)!r}, {_entry("b", 2.0, bound=None)!r}]\n')
    (tmp_path / 'top.py').write_text("extends = 'base.py'\nselect = ['a', 'b']\npriority = dict(b=1)\n")
    suite = load_suite(str(tmp_path / 'top.py'))
    assert [(e['name'], e.get('priority')) for e in suite] == [('a', None), ('b', 1)]
    (tmp_path / 'bad.py').write_text("extends = 'base.py'\nselect = ['a']\npriority = dict(c=1)\n")
    with pytest.raises(ValueError, match=r"priority names unknown entries \['c'\]"):
        load_suite(str(tmp_path / 'bad.py'))


def test_parallel_failure_is_raised(tmp_path):
    good, bad = _entry('good', 1.0, bound=None), _entry('bad', 1.0, bound=None)
    bad['steps'][0]['cmd'] = ['{python}', '-c', 'raise SystemExit(4)']
    with pytest.raises(RuntimeError, match=r'\[bad\] step 1 failed \(exit 4\)'):
        run_suite([good, bad], str(tmp_path), log=lambda *_: None, jobs=2)


@pytest.mark.parametrize('name', EMBEDDED_SUITES + ['voc_suite.py'])
def test_suite_cfg_options_override_existing_settings(name):
    # a misspelt --cfg-options key would add a setting nobody reads (e.g. the stand-in checkpoint of stage 0)
    from mmengine.config import Config
    for entry in load_suite(osp.join(REPO, 'configs/comparison', name)):
        for step in entry['steps']:
            cmd = step['cmd']
            if cmd[1:2] != ['tools/train.py'] or '--cfg-options' not in cmd:
                continue
            cfg = Config.fromfile(osp.join(REPO, cmd[2]))
            for item in cmd[cmd.index('--cfg-options') + 1:]:
                *parents, key = item.split('=', 1)[0].split('.')
                node = cfg
                for part in parents:
                    node = node[int(part)] if isinstance(node, (list, tuple)) else node.get(part)
                    assert node is not None, (entry['name'], item)
                if key not in ('load_from', 'seed') and not key.isdigit():
                    assert key in node, (entry['name'], item)


def test_rerun_step_drops_its_old_marker_before_running(tmp_path):
    """A step that reruns (an earlier step ran) and then fails leaves no old marker that a rerun would reuse."""
    flag = tmp_path / 'fail'
    entry = _entry('weak', 60.0, bound=None)
    entry['steps'][1]['cmd'] = ['{python}', '-c', "import os,sys; sys.exit(1) if os.path.exists(sys.argv[1]) else "
                                "open(sys.argv[2], 'w').write('{{\"mIoU\": 60.0}}')", str(flag),
                                '{work_dir}/metrics.json']
    rows = run_suite([entry], str(tmp_path), log=lambda *_: None)
    assert rows[0]['value'] == 60.0
    (tmp_path / 'weak' / 'trained').unlink()  # step 1 must rerun, so step 2 reruns too
    flag.write_text('x')
    with pytest.raises(RuntimeError, match='step 2 failed'):
        run_suite([entry], str(tmp_path), log=lambda *_: None)
    assert not (tmp_path / 'weak' / 'metrics.json').exists()
    flag.unlink()
    assert run_suite([entry], str(tmp_path), log=lambda *_: None)[0]['value'] == 60.0


FAKE_TRAIN = '''
import os, sys
work = sys.argv[sys.argv.index('--work-dir') + 1]
os.makedirs(work, exist_ok=True)
with open(os.path.join(work, 'calls.txt'), 'a') as f:
    f.write(' '.join(sys.argv[1:]) + '\\n')
print('training', ' '.join(sys.argv[1:]))
if not os.path.exists(os.path.join(work, 'last_checkpoint')):  # the first attempt "dies" after a checkpoint
    open(os.path.join(work, 'iter_2.pth'), 'w').write('x')
    open(os.path.join(work, 'last_checkpoint'), 'w').write(os.path.join(work, 'iter_2.pth'))
    sys.exit(137)
open(os.path.join(work, 'iter_4.pth'), 'w').write('x')
'''


def test_interrupted_training_step_resumes_and_logs_append(tmp_path):
    train = tmp_path / 'tools' / 'train.py'
    train.parent.mkdir()
    train.write_text(FAKE_TRAIN)
    entry = _entry('m', 50.0, bound=None)
    entry['steps'][0] = dict(cmd=['{python}', str(train), 'cfg.py', '--work-dir', '{work_dir}'],
                             creates='{work_dir}/iter_4.pth')
    with pytest.raises(RuntimeError, match='step 1 failed'):
        run_suite([entry], str(tmp_path / 'suite'), log=lambda *_: None)
    messages = []
    rows = run_suite([entry], str(tmp_path / 'suite'), log=messages.append)
    work = tmp_path / 'suite' / 'm'
    assert rows[0]['value'] == 50.0
    assert (work / 'calls.txt').read_text().splitlines() == [f'cfg.py --work-dir {work}',
                                                             f'cfg.py --work-dir {work} --resume']
    assert any(f'(resuming from {work / "iter_2.pth"})' in m for m in messages)
    log = (work / 'step0.log').read_text()
    # both attempts are in the log, each under its header line
    assert log.count('===== ') == 2 and log.index(f'training cfg.py --work-dir {work}\n') < log.index('--resume\n')
    # after an earlier step reran, the training starts over instead of resuming old checkpoints
    entry['steps'].insert(0, dict(cmd=['{python}', '-c', "open('{work_dir}/masks', 'w').write('x')"],
                                  creates='{work_dir}/masks'))
    (work / 'iter_4.pth').unlink()
    run_suite([entry], str(tmp_path / 'suite'), log=lambda *_: None)
    assert (work / 'calls.txt').read_text().splitlines()[-1] == f'cfg.py --work-dir {work}'


# (steps are str.format-ted by the runner: no braces)
FAKE_PROGRESS_TRAIN = ("import sys, time\n"
              "for i in (50, 100):\n"
              "    print('INFO - Iter(train) [%4d/200]  lr: 1e-2  eta: 0:00:0%d  loss: %.4f' % (i, 9 - i // 50, 3 - i / 100),"
              " flush=True)\n"
              "    time.sleep(0.4)\n"
              "open(sys.argv[1], 'w').write('x')\n")


def test_progress_lines_and_finish_summary(tmp_path):
    entry = _entry('live', 55.5, bound=None)
    entry['steps'][0]['cmd'] = ['{python}', '-c', FAKE_PROGRESS_TRAIN, '{work_dir}/trained']
    messages = []
    run_suite([entry], str(tmp_path), log=messages.append, progress_interval=0.1)
    live = [m for m in messages if m.startswith('[progress')]
    assert any(re.search(r'live step 1/2 train 50/200 loss 2.5 eta 0:0[78]$', m) for m in live)
    assert any(re.search(r'live step 1/2 train 100/200 loss 2 eta 0:0[67]$', m) for m in live)
    assert any(m.startswith('[live] finished in ') and m.endswith('mIoU 55.50') for m in messages)
    # a reused entry ran nothing: no summary line, no progress
    messages.clear()
    run_suite([entry], str(tmp_path), log=messages.append, progress_interval=0.1)
    assert not any('finished' in m or m.startswith('[progress') for m in messages)


def test_parallel_log_lines_stay_whole(tmp_path):
    """Side-by-side entries and the progress thread never split each other's lines, even with a log that writes
    the text and the newline in two calls (as ``print`` does)."""
    import time
    writes = []

    def slow_print(msg):
        writes.append(msg)
        time.sleep(0.02)  # another thread's line would land here
        writes.append('\n')

    entries = [_entry(f'e{i}', 50.0 + i, bound=None) for i in range(4)]
    for e in entries:
        e['steps'][0]['cmd'] = ['{python}', '-c', FAKE_PROGRESS_TRAIN, '{work_dir}/trained']
    run_suite(entries, str(tmp_path), log=slow_print, jobs=3, progress_interval=0.05)
    messages, ends = writes[0::2], writes[1::2]
    assert ends == ['\n'] * len(messages)  # every message is followed by its own newline
    assert sum(m.startswith('[progress') for m in messages) >= 2
    assert sorted(m[:4] for m in messages if ' step 1/2: ' in m) == ['[e0]', '[e1]', '[e2]', '[e3]']


@pytest.mark.parametrize('native', [True, False])
def test_main_suite_schedule_names_the_precision_this_cpu_trains_in(monkeypatch, native):
    """On a CPU without oneDNN bfloat16 kernels the -amp rows train in float32 (the wrapper's fallback), and the
    table says so."""
    from mmwsss.engine import optim_wrappers
    monkeypatch.setattr(optim_wrappers, 'bf16_supported', lambda: native)
    suite = {e['name']: e for e in load_suite(osp.join(REPO, 'configs/comparison/embedded_main_suite.py'))}
    precision = 'bf16' if native else 'fp32 (no bf16 CPU kernels)'
    for name in ('fully_supervised_upernet', 'blpseg'):
        assert suite[name]['schedule'] == f'2k it, batch 8, 96², {precision}'
    assert suite['bestie_point']['schedule'] == '4k it, batch 8, 88²'


def test_step_builders_place_options_and_checkpoint():
    from mmwsss.comparison.steps import NO_VAL, test_step, train_test
    train, test = train_test('c.py', 300, train_options=NO_VAL, test_options=['a=1'], test_args=['--tta'],
                             train_dir='{work_dir}/../t')
    assert train == dict(cmd=['{python}', 'tools/train.py', 'c.py', '--work-dir', '{work_dir}/../t', '--cfg-options',
                              *NO_VAL], creates='{work_dir}/../t/iter_300.pth')
    assert test == dict(cmd=['{python}', 'tools/test.py', 'c.py', '{work_dir}/../t/iter_300.pth', '--work-dir',
                             '{work_dir}', '--metrics-out', '{work_dir}/metrics.json', '--tta', '--cfg-options', 'a=1'],
                        creates='{work_dir}/metrics.json', kind='eval')
    assert '--cfg-options' not in train_test('c.py', 2)[0]['cmd'] + test_step('c.py', 'k.pth')['cmd']
