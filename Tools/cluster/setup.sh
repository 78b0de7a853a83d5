#!/usr/bin/env bash
# Installs Ray (from PyPI) for Tools/cluster/lutscale-ray, on every node of the cluster. lutscale itself never needs
# Ray: Tools/setup.sh does not install it.
set -euo pipefail
if python3 -c "import ray" 2>/dev/null; then
    echo "setup: ray $(python3 -c 'import ray; print(ray.__version__)') is installed" >&2
else
    echo "setup: installing ray with pip" >&2
    python3 -m pip install -q "ray>=2.9"
fi
python3 -c "import pytest" 2>/dev/null || python3 -m pip install -q pytest
