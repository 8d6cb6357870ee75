#!/usr/bin/env bash
# 离线安装（不需要任何网络）：bash OUT_DIR/install.sh --prefix DIR
# 由 scripts/bundle.sh 复制到离线安装包的根目录；从安装包自身读取一切：
#   1. 系统软件包：从 debs/ 的本地软件源（file: 源）安装 debs/REQUIRED 中尚未安装的软件包（已安装的不动；需要 root）；
#   2. DIR/venv：从 wheels/ 建立虚拟环境（pip --no-index，只用安装包中的 wheel）；
#   3. DIR/bin/reviewer：命令入口；DIR/share/secrecy-review/project：项目源代码副本（文档、示例、部署文件）。
# 选项：--prefix DIR（必填）  --skip-system（不安装系统软件包，只检查）  --python PATH（默认 /usr/bin/python3）
#       --check-closure（不安装：模拟在一台什么都没装的机器上只用安装包安装全部系统软件包，证明依赖齐全）
set -euo pipefail

BUNDLE=$(cd "$(dirname "$0")" && pwd)
PREFIX=""
SKIP_SYSTEM=0
CHECK_CLOSURE=0
PY=/usr/bin/python3

usage() {
  cat <<'EOF'
用法：bash install.sh --prefix DIR [--skip-system] [--python PATH]
      bash install.sh --check-closure
  --prefix DIR     安装目录（必填；安装后运行 DIR/bin/reviewer）
  --skip-system    不安装系统软件包（缺少时只报告）
  --python PATH    建立虚拟环境所用的 Python（默认 /usr/bin/python3）
  --check-closure  只检查：假设本机什么都没装，模拟只用安装包中的 .deb 安装全部系统软件包（不改动本机）
EOF
}
die() { echo "错误：$*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] && [ -n "$2" ] || die "--prefix 需要一个目录"; PREFIX=$2; shift 2;;
    --prefix=*) PREFIX=${1#--prefix=}; [ -n "$PREFIX" ] || die "--prefix 需要一个目录"; shift;;
    --skip-system) SKIP_SYSTEM=1; shift;;
    --check-closure) CHECK_CLOSURE=1; shift;;
    --python) [ $# -ge 2 ] || die "--python 需要一个路径"; PY=$2; shift 2;;
    -h|--help) usage; exit 0;;
    *) usage >&2; die "无法识别的参数：$1";;
  esac
done
[ -n "$PREFIX" ] || [ "$CHECK_CLOSURE" = 1 ] || { usage >&2; die "缺少必填参数 --prefix DIR"; }
[ -d "$BUNDLE/wheels" ] && [ -d "$BUNDLE/debs" ] && [ -f "$BUNDLE/debs/REQUIRED" ] \
  || die "$BUNDLE 不是完整的离线安装包（缺少 wheels/、debs/ 或 debs/REQUIRED；请用 scripts/bundle.sh 生成）"
ls "$BUNDLE"/wheels/secrecy_review-*.whl >/dev/null 2>&1 || die "离线安装包中没有本项目的 wheel（wheels/secrecy_review-*.whl）"

APT_DIR=$(mktemp -d)
trap 'rm -rf "$APT_DIR"' EXIT
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial"
echo "deb [trusted=yes] file:$BUNDLE/debs ./" > "$APT_DIR/sources.list"
# only the bundle as a source: apt never tries the network, and the machine's own apt lists are untouched
APT_OPTS=(-o "Dir::Etc::SourceList=$APT_DIR/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
          -o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::Cache::Archives=$APT_DIR/archives"
          -o "Acquire::Languages=none" -o "APT::Get::List-Cleanup=false" -o "APT::Sandbox::User=root")

if [ "$CHECK_CLOSURE" = 1 ]; then
  : > "$APT_DIR/empty-status"
  apt-get "${APT_OPTS[@]}" -o "Dir::State::status=$APT_DIR/empty-status" update -q=2 \
    || die "无法读取安装包中的软件源索引（debs/Packages.gz）"
  # shellcheck disable=SC2046
  if ! apt-get "${APT_OPTS[@]}" -o "Dir::State::status=$APT_DIR/empty-status" install -s --no-install-recommends \
       $(cat "$BUNDLE/debs/REQUIRED") > "$APT_DIR/simulated" 2>&1; then
    cat "$APT_DIR/simulated" >&2; die "安装包中的 .deb 不齐全：在空白系统上无法只用安装包安装"
  fi
  echo "== 依赖齐全：在空白系统上只用安装包可安装 $(grep -c '^Inst ' "$APT_DIR/simulated") 个软件包（$(tr '\n' ' ' < "$BUNDLE/debs/REQUIRED")）"
  exit 0
fi

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = "installed" ]; }

# 1. System packages from the bundle's own package index; installed ones are left alone.
missing=()
while read -r pkg; do
  [ -n "$pkg" ] || continue
  installed "$pkg" || missing+=("$pkg")
done < "$BUNDLE/debs/REQUIRED"
if [ ${#missing[@]} -eq 0 ]; then
  echo "== 系统软件包均已安装，跳过"
elif [ "$SKIP_SYSTEM" = 1 ]; then
  echo "注意：以下系统软件包尚未安装（--skip-system）：${missing[*]}" >&2
else
  [ "$(id -u)" = 0 ] || die "安装系统软件包需要 root（缺少：${missing[*]}）；可用 sudo 运行，或加 --skip-system"
  echo "== 从安装包安装系统软件包：${missing[*]}"
  apt-get "${APT_OPTS[@]}" update -q=2 || die "无法读取安装包中的软件源索引（debs/Packages.gz）"
  DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -y -q=2 --no-install-recommends "${missing[@]}" \
    || die "系统软件包安装失败（见上方 apt-get 的输出）"
fi

# 2. The virtual environment, from the wheelhouse only.
[ -x "$PY" ] || die "找不到 Python：$PY（安装包中的 python3、python3-venv 未能安装？）"
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
echo "== 建立虚拟环境 $PREFIX/venv（只用安装包中的 wheel）"
if [ ! -x "$PREFIX/venv/bin/python" ]; then
  "$PY" -m venv "$PREFIX/venv" || die "无法建立虚拟环境（python3-venv 是否已安装？）"
fi
# --no-index + --find-links: nothing but the bundle's wheelhouse; PIP_* settings of the machine are ignored
env -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_FIND_LINKS -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
  "$PREFIX/venv/bin/pip" install -q --no-index --find-links "$BUNDLE/wheels" --disable-pip-version-check \
  --upgrade secrecy-review || die "从 wheel 安装失败（见上方 pip 的输出）"
# the bundle's own build of the project, even when its version number did not change (an upgrade in place)
env -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_FIND_LINKS -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
  "$PREFIX/venv/bin/pip" install -q --no-index --no-deps --force-reinstall --disable-pip-version-check \
  "$BUNDLE"/wheels/secrecy_review-*.whl || die "从 wheel 安装本项目失败（见上方 pip 的输出）"

# 3. The command, and a copy of the project (docs, samples, deploy files).
mkdir -p "$PREFIX/bin" "$PREFIX/share/secrecy-review"
ln -sfn "$PREFIX/venv/bin/reviewer" "$PREFIX/bin/reviewer"
if [ -d "$BUNDLE/project" ]; then
  rm -rf "$PREFIX/share/secrecy-review/project"
  cp -a "$BUNDLE/project" "$PREFIX/share/secrecy-review/project"
fi
"$PREFIX/bin/reviewer" rules check >/dev/null || die "安装后自检失败：reviewer rules check"
echo "== 安装完成：$PREFIX/bin/reviewer（自检 reviewer rules check 通过）"
echo "   下一步见 $PREFIX/share/secrecy-review/project/docs/operations.md"
