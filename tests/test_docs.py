"""The documentation names only things that exist, and no tracked file points outside the repository."""
import os
import os.path as osp
import re
import subprocess

import pytest
import yaml
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# repository paths as the docs write them: `configs/x.py`, tools/..., docs/...; data/ and work_dirs/ are generated
PATH_RE = re.compile(r'(?<![\w./$<-])((?:configs|tools|docs|mmwsss|benchmarks|tests|requirements)/[\w./-]*[\w/])')
LINK_RE = re.compile(r'\]\(([^)\s]+)\)')
# written in two pieces so that this file does not match itself
OUTSIDE_RE = re.compile('|'.join([r'blpseg' + r'_wood\.md', r'sec' + r'_wsscoseg\.md', r'(?<![\w/])bestie' + r'\.md',
                                  r'\.\./' + r'shared', r'shared/' + r'methods']))
SESSION_RE = re.compile(r'session' + r' ?[0-9]', re.IGNORECASE)


def tracked_files():
    try:
        out = subprocess.run(['git', 'ls-files', '-z'], cwd=REPO, capture_output=True, check=True).stdout
        files = [f for f in out.decode().split('\0') if f]
    except (OSError, subprocess.CalledProcessError):  # an unpacked copy without .git
        files = []
        for root, dirs, names in os.walk(REPO):
            dirs[:] = [d for d in dirs if not d.startswith('.') and d not in ('data', 'work_dirs', '__pycache__')]
            files += [osp.relpath(osp.join(root, n), REPO) for n in names]
    return [f for f in files if osp.isfile(osp.join(REPO, f))]


def text_files():
    for f in tracked_files():
        if f.endswith(('.png', '.jpg', '.jpeg', '.pth', '.gz', '.npy', '.pkl')):
            continue
        try:
            with open(osp.join(REPO, f), encoding='utf-8') as fh:
                yield f, fh.read()
        except UnicodeDecodeError:
            continue


def doc_files():
    docs = ['README.md', 'model-index.yml']
    for f in tracked_files():
        if (f.startswith('docs/') and f.endswith('.md')) or re.match(r'configs/[^/]+/(README\.md|metafile\.yaml)$', f):
            docs.append(f)
    return sorted(set(d for d in docs if osp.isfile(osp.join(REPO, d))))


def named_paths(doc, text):
    """Repository paths a document names: markdown links (relative to the document) and path-like strings."""
    base = osp.dirname(doc)
    for link in LINK_RE.findall(text):
        link = link.split('#')[0]
        if not link or re.match(r'^[a-z]+:', link):
            continue
        yield osp.normpath(osp.join(base, link))
    for path in PATH_RE.findall(text):
        if not re.search(r'[*{}$<>]|\.\.\.|CKPT|CONFIG', path):
            yield path.rstrip('.')


def test_named_paths_exist():
    missing = []
    for doc in doc_files():
        with open(osp.join(REPO, doc), encoding='utf-8') as f:
            text = f.read()
        for path in set(named_paths(doc, text)):
            if not osp.exists(osp.join(REPO, path)):
                missing.append(f'{doc}: {path}')
    assert not missing, '\n'.join(sorted(missing))


def test_path_check_catches_a_missing_file():
    found = set(named_paths('configs/sec/README.md', 'see [x](nothere.py) and `tools/no_such_tool.py` and '
                                                     'configs/_base_/schedules/schedule_2k.py.'))
    assert found == {'configs/sec/nothere.py', 'tools/no_such_tool.py', 'configs/_base_/schedules/schedule_2k.py'}


def metafile_models():
    with open(osp.join(REPO, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    models = []
    for meta in index['Import']:
        assert osp.isfile(osp.join(REPO, meta)), meta
        with open(osp.join(REPO, meta)) as f:
            data = yaml.safe_load(f)
        collections = {c['Name'] for c in data.get('Collections', [])}
        for m in data['Models']:
            assert m['In Collection'] in collections, (meta, m['Name'])
            models.append((meta, m))
    return models


def test_every_metafile_is_indexed():
    with open(osp.join(REPO, 'model-index.yml')) as f:
        indexed = set(yaml.safe_load(f)['Import'])
    on_disk = {f for f in tracked_files() if re.match(r'configs/[^/]+/metafile\.yaml$', f)}
    assert on_disk == indexed


@pytest.mark.parametrize('meta,model', metafile_models(), ids=lambda v: v['Name'] if isinstance(v, dict) else '')
def test_metafile_config_builds(meta, model):
    cfg_path = osp.join(REPO, model['Config'])
    assert osp.basename(cfg_path)[:-3] == model['Name'], model['Name']  # the name is the config's
    cfg = Config.fromfile(cfg_path, import_custom_modules=False)
    assert 'model' in cfg and 'train_dataloader' in cfg
    for metric, value in (model.get('Results') or {}).get('Metrics', {}).items():
        assert isinstance(value, (int, float)) and 0 <= value <= 100, (model['Name'], metric, value)


def test_no_reference_to_documents_outside_the_repository():
    hits = [f'{f}:{i}' for f, text in text_files() for i, line in enumerate(text.splitlines(), 1)
            if OUTSIDE_RE.search(line)]
    assert not hits, hits


def test_no_numbered_work_session_is_mentioned():
    hits = [f'{f}:{i}' for f, text in text_files() for i, line in enumerate(text.splitlines(), 1)
            if SESSION_RE.search(line)]
    assert not hits, hits


def test_the_text_checks_can_fail():
    assert OUTSIDE_RE.search('see ' + 'blpseg' + '_wood.md, part 3') and OUTSIDE_RE.search('../' + 'shared/x')
    assert not OUTSIDE_RE.search('configs/bestie/README.md')
    assert SESSION_RE.search('measured in Session' + ' 18') and not SESSION_RE.search('a training session')
