#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine: system packages (Redis, PostgreSQL, Chromium,
# CJK fonts) when they are missing, and a virtualenv in .venv with the project and its test extras.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
# Unicode data files: tests/scan/test_normalize.py checks reviewer/scan/fold_data.py against them
[ -f /usr/share/unicode/EquivalentUnifiedIdeograph.txt ] || need+=(unicode-data)
# render check (docs/render.md): LibreOffice headless renders Office drafts to PDF; no GUI, no recommends
lo=()
for p in libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui; do
  dpkg -s "$p" >/dev/null 2>&1 || lo+=("$p")
done
if [ ${#need[@]} -gt 0 ] || [ ${#lo[@]} -gt 0 ]; then
  echo "== 安装系统软件包：${need[*]} ${lo[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  [ ${#need[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  [ ${#lo[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${lo[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== 创建虚拟环境 .venv"
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c "import reviewer, pytest, playwright, ahocorasick, jieba, celery, mypy, pypdfium2, rapidocr_onnxruntime" >/dev/null 2>&1 \
   || [ pyproject.toml -nt .venv/.installed ] || [ setup.py -nt .venv/.installed ] \
   || [ reviewer/scan/_accel.c -nt .venv/.installed ] \
   || { command -v cc >/dev/null 2>&1 && ! .venv/bin/python -c "import reviewer.scan._accel" >/dev/null 2>&1; }; then
  # the scanner's C accelerator (setup.py) is built in place by the editable install: again when its source changed
  echo "== 安装 Python 依赖"
  .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
  touch .venv/.installed
fi
