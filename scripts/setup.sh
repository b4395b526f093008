#!/usr/bin/env bash
# Make this machine ready to build soma: install the missing Debian packages, then configure
# the build directory unless it already is.
#
#   scripts/setup.sh [BUILD_DIR [CMAKE_ARG...]]     (BUILD_DIR defaults to build)
#
# The build dir is configured when it is new or CMAKE_ARGs differ from its last setup run
# (CMake keeps earlier -D settings in its cache either way).
# Environment: SOMA_SETUP_EXTRA="pkg ..."  more packages to install (make format: clang-format)
#              SOMA_SETUP_CONFIGURE=0       install packages only
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake make pkg-config libopenblas-dev googletest libgtest-dev libcli11-dev
          nlohmann-json3-dev zlib1g-dev libpng-dev dataset-fashion-mnist wamerican python3
          pocketsphinx-en-us)
read -ra extra <<<"${SOMA_SETUP_EXTRA:-}"

if command -v dpkg-query >/dev/null; then
    missing=()
    for p in "${packages[@]}" "${extra[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        [[ $status == "install ok installed" ]] || missing+=("$p")
    done
    if ((${#missing[@]})); then
        if [[ $(id -u) != 0 ]]; then
            echo "setup: missing packages; install them with:" >&2
            echo "  sudo apt-get install -y ${missing[*]}" >&2
            exit 1
        fi
        echo "setup: installing ${missing[*]}"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
else
    # Not Debian: we cannot check; CMake will name whatever is missing.
    echo "setup: no dpkg here; install the equivalents of: ${packages[*]}" >&2
fi

[[ ${SOMA_SETUP_CONFIGURE:-1} == 0 ]] && exit 0

# ---- scikit-learn's data sets (the 06_recipes gallery entry and its test) -------------------
# Debian's python3-sklearn ships small real data sets as CSV files; installing it would pull
# ~230 MB of dependencies, so only its .deb is downloaded and the data files extracted, into
# the folder the gallery looks in (gallery/06_recipes.cpp): $SOMA_SKLEARN_DATA, else
# /var/cache/soma/sklearn for root, else ${XDG_CACHE_HOME:-~/.cache}/soma/sklearn.
# Without them (offline, not Debian) the build still works and that one test is skipped.
# SOMA_SETUP_DATA=0 skips this step.
sklearn_files=(diabetes_data_raw.csv.gz diabetes_target.csv.gz digits.csv.gz iris.csv
               wine_data.csv breast_cancer.csv)
sklearn_have() {
    local f
    for f in "${sklearn_files[@]}"; do [[ -f $1/$f ]] || return 1; done
}
sklearn_fetch() {
    local dest=$1 tmp apt_opts=()
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || return 1
    [[ $(id -u) == 0 ]] && apt_opts=(-o APT::Sandbox::User=root)  # no _apt-owned download dir
    tmp=$(mktemp -d)
    local download=(apt-get download -q "${apt_opts[@]}" python3-sklearn)
    local from=$tmp/x/usr/lib/python3/dist-packages/sklearn/datasets/data/
    # On a fresh machine the package lists may be empty: refresh them once (root only).
    if (cd "$tmp" && "${download[@]}" >/dev/null 2>&1) ||
        { [[ $(id -u) == 0 ]] && apt-get update -q >/dev/null 2>&1 &&
            (cd "$tmp" && "${download[@]}" >/dev/null 2>&1); }; then
        if dpkg-deb -x "$tmp"/python3-sklearn_*.deb "$tmp/x" && mkdir -p "$tmp/data" &&
            cp "${sklearn_files[@]/#/$from}" "$tmp/data/"; then
            # Moved into place whole, so a half-finished run never looks like data.
            mkdir -p "$(dirname "$dest")" && rm -rf "$dest" && mv "$tmp/data" "$dest"
        fi
    fi
    rm -rf "$tmp"
    sklearn_have "$dest"
}
if [[ ${SOMA_SETUP_DATA:-1} != 0 ]]; then
    if [[ -n ${SOMA_SKLEARN_DATA:-} ]]; then
        sklearn_dest=$SOMA_SKLEARN_DATA
    elif [[ $(id -u) == 0 ]]; then
        sklearn_dest=/var/cache/soma/sklearn
    else
        sklearn_dest=${XDG_CACHE_HOME:-$HOME/.cache}/soma/sklearn
    fi
    if ! sklearn_have "$sklearn_dest" &&
        ! sklearn_have /usr/lib/python3/dist-packages/sklearn/datasets/data; then
        echo "setup: extracting scikit-learn's data sets from python3-sklearn into $sklearn_dest"
        sklearn_fetch "$sklearn_dest" ||
            echo "setup: WARNING: could not get python3-sklearn's data sets; the 06_recipes" \
                 "gallery entry will fail and its test will be skipped" >&2
    fi
fi

build=${1:-build}
shift || true
stamp=$build/.setup-args
if [[ ! -f $build/CMakeCache.txt || "$*" != "$(cat "$stamp" 2>/dev/null)" ]]; then
    cmake -S . -B "$build" "$@"
    echo "$*" >"$stamp"
fi
