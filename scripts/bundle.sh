#!/usr/bin/env bash
# 离线安装包：在能访问软件源（Debian 源、PyPI）的机器上运行，写出一个可拷贝到内网机器的目录。
#   bash scripts/bundle.sh OUT_DIR
# OUT_DIR 中：
#   project/        项目源代码（不含 .venv、数据目录、构建产物）
#   wheels/         本项目及其全部 Python 依赖的 wheel（OCR 模型在 rapidocr 的 wheel 内）
#   debs/           系统软件包（redis-server、PostgreSQL、LibreOffice writer/calc/impress nogui、chromium、
#                   fonts-noto-cjk、python3-venv）及其全部依赖的 .deb，另有本地软件源索引 Packages.gz
#   install.sh      离线安装脚本：bash OUT_DIR/install.sh --prefix DIR（见 docs/operations.md）
#   MANIFEST.txt    内容清单与 SHA-256
# 目标机器须与打包机器同为 Debian 12（bookworm）amd64：wheel 按本机 Python（3.11）选取，.deb 按本机软件源选取。
set -euo pipefail

usage() { echo "用法：bash scripts/bundle.sh OUT_DIR（在能访问软件源的机器上运行）" >&2; }
[ $# -eq 1 ] || { usage; exit 2; }
case "$1" in -h|--help) usage; exit 0;; esac
OUT=$1
SRC=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
# The packages a fresh Debian machine lacks (scripts/setup.sh installs the same set from the network).
SYSTEM_PACKAGES=(redis-server postgresql libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui
                 chromium fonts-noto-cjk python3 python3-venv)

command -v apt-get >/dev/null || { echo "错误：需要 Debian 的 apt-get" >&2; exit 2; }
command -v dpkg-scanpackages >/dev/null || { echo "错误：需要 dpkg-scanpackages（apt-get install dpkg-dev）" >&2; exit 2; }
"$PY" -c 'import sys; assert sys.version_info[:2] >= (3, 11)' 2>/dev/null || { echo "错误：$PY 不是 Python 3.11 或更高版本" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
case "$OUT/" in "$SRC/"*) echo "错误：OUT_DIR 不能在项目目录内" >&2; exit 2;; esac
if [ -n "$(ls -A "$OUT")" ] && [ ! -f "$OUT/.secrecy-review-bundle" ]; then
  echo "错误：$OUT 不是空目录，也不是本脚本生成过的离线安装包（不会改写别的目录）" >&2; exit 2
fi
touch "$OUT/.secrecy-review-bundle"

echo "== 项目源代码 → $OUT/project"
rm -rf "$OUT/project"
mkdir -p "$OUT/project"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # the files git knows (committed or staged or new and not ignored): never .venv, data directories or keys
  (cd "$SRC" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' \
     | tar --null -T - -cf -) | tar -xf - -C "$OUT/project"
  git -C "$SRC" rev-parse HEAD > "$OUT/project/.bundle-commit" 2>/dev/null || true
else
  tar -C "$SRC" --exclude=.venv --exclude=.data --exclude=data --exclude=build --exclude=dist --exclude='*.egg-info' \
      --exclude=__pycache__ -cf - . | tar -xf - -C "$OUT/project"
fi

echo "== Python 依赖 → $OUT/wheels"
mkdir -p "$OUT/wheels"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PY" -m venv "$TMP/venv"
"$TMP/venv/bin/pip" install -q --upgrade pip wheel setuptools
# the project and every dependency as wheels (sdists are built here, so the target needs no compiler);
# pip, setuptools and wheel too, so the target's venv can be upgraded offline
"$TMP/venv/bin/pip" wheel -q --wheel-dir "$OUT/wheels" "$OUT/project" pip setuptools wheel
# the test extras are left out on purpose: a unit runs the service, not the test suite

echo "== 系统软件包 → $OUT/debs"
mkdir -p "$OUT/debs"
# The whole dependency closure (Depends and Pre-Depends, recursively; no Recommends), so that a minimal Debian
# machine can install the set from the bundle alone. Virtual packages are resolved to the package providing them.
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
    "${SYSTEM_PACKAGES[@]}" | grep -E '^[a-z0-9]' | sort -u > "$TMP/closure"
# keep what has a real package record (one apt-cache call: seconds, not minutes)
xargs -a "$TMP/closure" apt-cache --no-all-versions show 2>/dev/null | sed -n 's/^Package: //p' | sort -u > "$TMP/real"
rm -f "$OUT"/debs/*.deb
(cd "$OUT/debs" && xargs -a "$TMP/real" apt-get download -q=2 2>"$TMP/apt.err") || {
  cat "$TMP/apt.err" >&2; echo "错误：下载 .deb 失败" >&2; exit 1; }
(cd "$OUT/debs" && dpkg-scanpackages -m . /dev/null 2>/dev/null | gzip -9c > Packages.gz)
printf '%s\n' "${SYSTEM_PACKAGES[@]}" > "$OUT/debs/REQUIRED"

cp "$SRC/scripts/install.sh" "$OUT/install.sh"
chmod 0755 "$OUT/install.sh"
(cd "$OUT" && { echo "# 离线安装包内容（$(date -u +%Y-%m-%dT%H:%MZ) 生成于 $(. /etc/os-release; echo "$PRETTY_NAME") $(dpkg --print-architecture)）";
  echo "python $("$PY" -c 'import sys; print(".".join(map(str, sys.version_info[:3])))')";
  find wheels debs install.sh -type f | sort | xargs sha256sum; } > MANIFEST.txt)
echo "== 完成：$OUT（wheel $(ls "$OUT/wheels" | wc -l) 个，.deb $(ls "$OUT/debs"/*.deb | wc -l) 个，共 $(du -sh "$OUT" | cut -f1)）"
