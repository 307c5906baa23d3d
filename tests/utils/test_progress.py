"""Progress lines parsed from mmengine logs and the monitor's status lines."""
import os
import re
import time

from mmwsss.utils.progress import ProgressMonitor, format_seconds, parse_progress, read_tail

TRAIN_LOG = """\
12/06 20:30:01 - mmengine - INFO - Checkpoints will be saved to /tmp/x.
12/06 20:30:12 - mmengine - INFO - Iter(train) [  50/4000]  base_lr: 5.0000e-02 lr: 5.0000e-02  eta: 0:13:05  \
time: 0.1987  data_time: 0.0112  loss: 2.4013  decode.loss_ce: 2.4013  decode.acc_seg: 12.0000
12/06 20:30:22 - mmengine - INFO - Iter(train) [ 100/4000]  base_lr: 4.9000e-02 lr: 4.9000e-02  eta: 1 day, 2:03:04  \
time: 0.1990  data_time: 0.0110  loss: 1.8750  loss_center: 0.3000  seg.loss_ce: 1.5750
"""


def test_parse_last_train_line():
    state = parse_progress(TRAIN_LOG)
    # the total loss, not a component such as loss_center or seg.loss_ce
    assert state == dict(phase='train', iter=100, total=4000, loss=1.875, eta=86400 + 2 * 3600 + 3 * 60 + 4)


def test_parse_test_line_without_loss_and_no_line():
    state = parse_progress(TRAIN_LOG + '12/06 - INFO - Iter(test) [ 50/200]    eta: 0:00:31  time: 0.2050\n')
    assert state == dict(phase='test', iter=50, total=200, loss=None, eta=31)
    assert parse_progress('12/06 - INFO - Config:\nmodel = dict()\n') is None
    assert parse_progress('') is None


def test_read_tail(tmp_path):
    path = tmp_path / 'log.txt'
    assert read_tail(str(path)) == ''
    path.write_text('a' * 100 + 'END')
    assert read_tail(str(path), 10) == 'a' * 7 + 'END'


def test_format_seconds():
    assert format_seconds(None) == '?'
    assert format_seconds(65) == '1:05'
    assert format_seconds(3725) == '1:02:05'


def test_monitor_status_lines(tmp_path):
    log = tmp_path / 'step0.log'
    lines = []
    with ProgressMonitor(interval=0.05, log=lines.append) as mon:
        mon.start('bestie_oracle', str(log), 'step 1/2')
        mon.start('blpseg', str(tmp_path / 'missing.log'), 'step 1/2')
        log.write_text(TRAIN_LOG)
        os.utime(log, (time.time(), time.time()))
        deadline = time.time() + 5
        while not any('100/4000' in m for m in lines) and time.time() < deadline:
            time.sleep(0.05)
        mon.stop('bestie_oracle')
        mon.stop('blpseg')
        n = len(lines)
        time.sleep(0.2)
    line = next(m for m in lines if '100/4000' in m)
    assert line.startswith('[progress ')
    # the ETA of the log line, counted down since the line was written
    assert re.search(r'bestie_oracle step 1/2 train 100/4000 loss 1.875 eta 1 day, 2:03:0[34]', line)
    assert 'blpseg step 1/2 starting (' in line
    assert len(lines) == n  # nothing is printed while no job runs


def test_monitor_estimates_eta_without_one_in_the_log(tmp_path):
    log = tmp_path / 'step.log'
    log.write_text('Iter(test) [ 10/40]  time: 0.1\n')
    mon = ProgressMonitor(interval=0)
    mon.start('x', str(log))
    mon._jobs['x']['since'] -= 10.0  # 10 s for 10 of 40 iterations: 30 s left
    assert mon.status_line().endswith('x test 10/40 eta 0:30')
