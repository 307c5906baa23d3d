#!/usr/bin/env bash
# Install the pinned OpenMMLab stack and mmwsss (editable) into the current Python environment.
#
# Safe to re-run: every step is skipped or fast when already satisfied. mmcv 2.1.0 is built from
# source with its compiled ops (MMCV_WITH_OPS=1): about 12-30 min on 2 cores the first time; pip
# keeps the built wheel in its cache, so a later install (also into a fresh virtualenv on the same
# machine) takes minutes. See docs/install.md for why each pin exists.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
PIP="$PY -m pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1

echo "[mmwsss install] 1/5 build tools (setuptools<82 keeps pkg_resources for mmcv/mmengine)"
$PIP install -q -r requirements/build.txt
echo "[mmwsss install] 2/5 torch 2.13.0 (CPU build; C++17 headers as mmcv 2.1.0 needs)"
$PIP install -q torch==2.13.0
$PIP install -q numpy opencv-python pillow addict packaging pyyaml yapf termcolor rich "mmengine==0.10.7"
echo "[mmwsss install] 3/5 mmcv 2.1.0 with compiled ops"
if $PY -c "import mmcv, mmcv._ext, sys; sys.exit(mmcv.__version__ != '2.1.0')" 2>/dev/null; then
  echo "  mmcv 2.1.0 with ops already installed"
else
  # --no-build-isolation: the build must see torch (else it silently skips the ops) and setuptools<82
  MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-2} \
    $PIP install --no-build-isolation "mmcv==2.1.0"
fi
echo "[mmwsss install] 4/5 mmsegmentation, mmdet, pydensecrf2, runtime and test requirements"
$PIP install -q "mmsegmentation==1.2.2" "mmdet==3.3.0" \
  -r requirements/runtime.txt -r requirements/optional.txt -r requirements/tests.txt -r requirements/benchmarks.txt
echo "[mmwsss install] 5/5 mmwsss (editable)"
$PIP install -q --no-build-isolation --no-deps -e .
$PY - <<'PYEOF'
import mmcv, mmcv.ops, mmengine, mmseg.models, mmdet.models, torch
import mmwsss.seg  # noqa: F401
print(f'[mmwsss install] ok: torch {torch.__version__}, mmcv {mmcv.__version__} (ops), '
      f'mmengine {mmengine.__version__}, mmseg {mmseg.__version__}')
PYEOF
