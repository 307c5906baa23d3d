"""Tools end with one line naming the problem (traceback with --debug); typos and wrong checkpoints are errors."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmwsss.utils.cli import UnknownConfigKeyError, check_cfg_options, format_tool_error, tool_main

from ..conftest import REPO

ENV = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
ENV.pop('MMWSSS_DEBUG', None)
DEEPLAB = osp.join(REPO, 'configs/fully_supervised/deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py')
UPERNET = osp.join(REPO, 'configs/fully_supervised/upernet_r18-d8_1xb8-2k_synthetic-112x112.py')


def _tool(args, cwd, env=ENV):
    return subprocess.run([sys.executable] + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope='module')
def deeplab_ckpt(tmp_path_factory):
    """A runner-style checkpoint of the DeepLabV3 config (random weights: only the keys matter here)."""
    from mmwsss.apis import init_model
    path = tmp_path_factory.mktemp('ckpt') / 'deeplabv3.pth'
    torch.save(dict(meta=dict(iter=1), state_dict=init_model(DEEPLAB).state_dict()), path)
    return str(path)


def test_test_py_refuses_another_models_checkpoint(tmp_path, deeplab_ckpt):
    proc = _tool([osp.join(REPO, 'tools/test.py'), UPERNET, deeplab_ckpt, '--work-dir', str(tmp_path / 'w')],
                 cwd=str(tmp_path))
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'error: CheckpointMismatchError: {deeplab_ckpt}: does not match the EncoderDecoder')
    assert 'missing key(s) (decode_head.' in last and '--allow-partial' in last and '--debug' in last
    assert 'Traceback' not in proc.stderr


def test_cfg_options_typo_is_an_error(tmp_path):
    proc = _tool([osp.join(REPO, 'tools/train.py'), DEEPLAB, '--work-dir', str(tmp_path / 'w'),
                  '--cfg-options', 'trian_cfg.max_iters=2', '--debug'], cwd=str(tmp_path))
    assert proc.returncode == 1
    assert f"{DEEPLAB}: --cfg-options trian_cfg.max_iters: 'trian_cfg' is not a top-level config key of " \
           "this config (did you mean 'train_cfg'?)" in proc.stderr
    assert 'Traceback' in proc.stderr  # --debug
    assert not (tmp_path / 'w').exists()  # nothing ran


def test_check_cfg_options():
    check_cfg_options({'train_cfg.max_iters': 2, 'model.backbone.depth': 50}, ['train_cfg', 'model'], 'c.py')
    check_cfg_options(None, [], 'c.py')
    with pytest.raises(UnknownConfigKeyError, match=r"c\.py: --cfg-options modle\.x: 'modle' .*did you mean 'model'"):
        check_cfg_options({'modle.x': 1}, ['train_cfg', 'model'], 'c.py')
    with pytest.raises(UnknownConfigKeyError, match=r'known: a, b'):
        check_cfg_options({'zzz': 1}, ['b', 'a'], 'c.py')


def test_tool_main_one_line_and_debug(monkeypatch, capsys):
    @tool_main
    def main():
        raise FileNotFoundError('/data/x.png: label map not found')

    monkeypatch.delenv('MMWSSS_DEBUG', raising=False)
    monkeypatch.setattr(sys, 'argv', ['tool.py', 'cfg.py'])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err == ('error: FileNotFoundError: /data/x.png: label map not found  [--debug or MMWSSS_DEBUG=1 shows '
                   'the traceback]\n')
    monkeypatch.setattr(sys, 'argv', ['tool.py', '--debug', 'cfg.py'])
    with pytest.raises(FileNotFoundError):
        main()
    assert sys.argv == ['tool.py', 'cfg.py'] and os.environ['MMWSSS_DEBUG'] == '1'
    monkeypatch.setenv('MMWSSS_DEBUG', '0')
    with pytest.raises(SystemExit):
        main()
    monkeypatch.setenv('MMWSSS_DEBUG', 'yes')
    with pytest.raises(FileNotFoundError):
        main()


def test_format_tool_error_without_message():
    try:
        {}['k']
    except KeyError as err:
        line = format_tool_error(err)
    assert line.startswith("error: KeyError: k (raised at ") and 'test_tool_errors.py' in line


def test_every_tool_reports_one_line_errors():
    """Each command-line tool runs its main through tool_main (new tools included)."""
    import glob
    missing = []
    for path in sorted(glob.glob(osp.join(REPO, 'tools', '**', '*.py'), recursive=True)):
        with open(path) as f:
            text = f.read()
        if "__name__ == '__main__'" in text and 'tool_main(' not in text.split("__name__ == '__main__'")[-1]:
            missing.append(osp.relpath(path, REPO))
    assert not missing, f'tools without tool_main: {missing}'
