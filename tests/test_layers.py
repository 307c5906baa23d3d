"""The package's layers point one way and no module-level import cycle exists.

Layers, lowest first: utils -> datasets / crf -> models -> engine / evaluation -> registration entry points
(``mmwsss.seg``, ``mmwsss.det``) -> offline stages / inference apis / visualization -> comparison runner. A module
may import its own layer and the layers below, never a layer above (function-local imports included: a lazy import
only hides a cycle). The seg side never imports the det side.
"""
import ast
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Set, Tuple

import pytest

from .conftest import REPO

PKG = osp.join(REPO, 'mmwsss')

# longest matching prefix decides a module's layer
LAYERS = {
    'mmwsss': 0, 'mmwsss.version': 0, 'mmwsss.utils': 0,
    'mmwsss.crf': 1, 'mmwsss.datasets': 1, 'mmwsss.det.datasets': 1,
    'mmwsss.models': 2, 'mmwsss.det.models': 2,
    'mmwsss.engine': 3, 'mmwsss.evaluation': 3, 'mmwsss.det.evaluation': 3,
    'mmwsss.seg': 4, 'mmwsss.det': 4,
    'mmwsss.stages': 5, 'mmwsss.det.stages': 5, 'mmwsss.apis': 5, 'mmwsss.visualization': 5,
    'mmwsss.comparison': 6,
}


def layer_of(module: str) -> int:
    parts = module.split('.')
    for i in range(len(parts), 0, -1):
        key = '.'.join(parts[:i])
        if key in LAYERS:
            return LAYERS[key]
    raise KeyError(f'{module}: no layer assigned; add its subpackage to LAYERS in {__file__}')


def package_modules() -> Dict[str, str]:
    """Dotted name -> file path of every module under mmwsss/."""
    out = {}
    for root, _, files in os.walk(PKG):
        for f in files:
            if not f.endswith('.py'):
                continue
            path = osp.join(root, f)
            rel = osp.relpath(path, REPO)[:-3].replace(os.sep, '.')
            out[rel[:-len('.__init__')] if rel.endswith('.__init__') else rel] = path
    return out


def _resolve(module: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ''
    base = module.split('.') if is_pkg else module.split('.')[:-1]
    base = base[:len(base) - node.level + 1]
    return '.'.join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: str, modules: Dict[str, str]) -> List[Tuple[str, int, bool]]:
    """``(imported mmwsss module, line, at module level)`` for every import statement of a module."""
    tree = ast.parse(open(path).read(), path)
    is_pkg = path.endswith('__init__.py')
    out = []

    def visit(node, top: bool):
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split('.')[0] == 'mmwsss':
                        out.append((alias.name, child.lineno, top))
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(module, is_pkg, child)
                if target.split('.')[0] != 'mmwsss':
                    continue
                for alias in child.names:
                    sub = f'{target}.{alias.name}'
                    out.append((sub if sub in modules else target, child.lineno, top))
            visit(child, inner)

    visit(tree, True)
    return out


def test_layers_point_one_way():
    modules = package_modules()
    bad = []
    for mod, path in sorted(modules.items()):
        own = layer_of(mod)
        seg_side = not (mod == 'mmwsss.det' or mod.startswith('mmwsss.det.'))
        for target, line, _ in imports_of(mod, path, modules):
            if layer_of(target) > own:
                bad.append(f'{osp.relpath(path, REPO)}:{line}: {mod} (layer {own}) imports {target} '
                           f'(layer {layer_of(target)})')
            elif seg_side and (target == 'mmwsss.det' or target.startswith('mmwsss.det.')):
                bad.append(f'{osp.relpath(path, REPO)}:{line}: seg-side {mod} imports the det side ({target})')
    assert not bad, 'imports that point up a layer:\n' + '\n'.join(bad)


def test_no_module_level_import_cycle():
    modules = package_modules()
    graph: Dict[str, Set[str]] = {
        mod: {t for t, _, top in imports_of(mod, path, modules) if top and t in modules and t != mod}
        for mod, path in modules.items()
    }
    # Tarjan's strongly connected components
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def strongconnect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    assert not cycles, f'module-level import cycles: {cycles}'


def test_layer_checker_catches_an_upward_import(tmp_path):
    mod = tmp_path / 'm.py'
    mod.write_text('from mmwsss.stages.cam import compute_cam\n\ndef f():\n    from ..apis import x\n')
    found = imports_of('mmwsss.models.m', str(mod), {'mmwsss.stages.cam': ''})
    assert found == [('mmwsss.stages.cam', 1, True), ('mmwsss.apis', 4, False)]
    assert layer_of('mmwsss.models.m') < layer_of('mmwsss.stages.cam')


@pytest.mark.parametrize('subpackage', ['mmwsss.evaluation', 'mmwsss.models', 'mmwsss.stages', 'mmwsss.det.stages'])
def test_subpackage_imports_in_a_fresh_interpreter(subpackage):
    out = subprocess.run([sys.executable, '-c', f'import {subpackage}'], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
