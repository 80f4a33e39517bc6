#!/usr/bin/env bash
# Regenerate migrations/versions/0001_core.py from the core models (only while the project is
# unreleased: once a deployment exists, add a new migration instead).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/0001_core.py
# Every later migration (0002 reference data, 0003 search...) waits aside while 0001 is generated.
find migrations/versions -maxdepth 1 -name '0*.py' ! -name '0001_*' -exec mv {} "$tmp/" \;
CIVIC_INSTANCE_PATH="$tmp" .venv/bin/python - <<'PY'
from alembic import command
from civic.db import make_engine
from civic.migrate import alembic_config
import os
engine = make_engine(f"sqlite:///{os.environ['CIVIC_INSTANCE_PATH']}/gen.db")
command.revision(alembic_config(engine), message="core", autogenerate=True, rev_id="0001")
PY
mv migrations/versions/0001_core.py migrations/versions/0001_core.py 2>/dev/null || true
mv "$tmp"/0*.py migrations/versions/
rm -rf "$tmp"
sed -i "s/[[:space:]]*$//" migrations/versions/0001_core.py
.venv/bin/ruff check --fix -q migrations/versions/0001_core.py || true
echo "regenerated migrations/versions/0001_core.py"
