# shellcheck shell=bash
# Debian packages for the stack (and the browser tests) without root: where a
# package's files are, and, when they are not installed and we are not root,
# fetching it into this user's cache instead of installing it.
# Sourced by lib.sh (which defines log/warn/die); callers run `set -euo pipefail`.
#
# A package is taken from one of two places:
#   system  installed with dpkg: its files are under /, run as they are;
#   cache   ${XDG_CACHE_HOME:-~/.cache}/netmon/debs/<pkg>_<version>/: the .deb
#           and those of its dependencies that are not installed, fetched with
#           `apt-get download` and unpacked with `dpkg -x` into that one
#           directory (no maintainer scripts run, nothing outside it changes);
#           binaries run from there with LD_LIBRARY_PATH on its libraries.
# NETMON_STACK_DEBS picks: auto (default: installed -> system; else as root
# apt-get install as before; else cache) or cache (always the cache, even when
# installed or root: exactly what a user without root gets).
#
# Rules:
#   * apt-get is only ever asked to simulate (-s), download or, as root in auto
#     mode, install; dpkg only to query or extract;
#   * dependencies: what `apt-get -s install` would install (apt resolves
#     alternatives and virtual packages), minus what is installed: an
#     installed package apt would upgrade is used as installed (a second libc
#     under LD_LIBRARY_PATH would not load), and ldd on the binaries we run
#     must then find every library, or the fetch fails naming what is missing;
#   * symlinks in the unpacked tree that point at another package's files
#     (e.g. maven's lib/*.jar -> ../../java/*.jar, conf -> /etc/maven) are
#     pointed at the copy in the tree, else at the installed file on this host;
#   * a complete tree has a .netmon-complete file and <pkg>.current names it,
#     so check.sh and down.sh find the same binaries without asking apt.

NETMON_CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/netmon"
NETMON_STACK_DEBS="${NETMON_STACK_DEBS:-auto}"
DEBS_CACHE_DIR="$NETMON_CACHE_DIR/debs"

debs_check_mode() {
  case "$NETMON_STACK_DEBS" in
    auto | cache) ;;
    *) die "NETMON_STACK_DEBS must be auto or cache, got '$NETMON_STACK_DEBS'" ;;
  esac
}

dpkg_installed() {
  command -v dpkg-query >/dev/null 2>&1 || return 1
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

# deb_source PKG -> "system" or "cache" (where PKG's files are taken from)
# (without dpkg there is nothing to fetch with: "system", found on PATH)
deb_source() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo system
  elif [[ $NETMON_STACK_DEBS != cache ]] && dpkg_installed "$1"; then
    echo system
  else
    echo cache
  fi
}

# deb_root PKG -> / for an installed package, else its unpacked tree in the
# cache (empty when it was never fetched)
deb_root() {
  local pkg=$1 cur
  if [[ "$(deb_source "$pkg")" == system ]]; then
    printf '/'
    return 0
  fi
  cur="$(cat "$DEBS_CACHE_DIR/$pkg.current" 2>/dev/null || true)"
  if [[ -n $cur && -f $DEBS_CACHE_DIR/$cur/.netmon-complete ]]; then
    printf '%s' "$DEBS_CACHE_DIR/$cur"
  fi
  return 0
}

# deb_cmd PKG PATH -> sets the array DEB_CMD to what runs PATH (as the package
# installs it, e.g. /usr/sbin/snmpd) from PKG's files: the path itself for an
# installed package (its name on PATH on a host without dpkg), else `env LD_LIBRARY_PATH=<tree's libraries> <tree>PATH`
# (env execs, so a launched server's pid and command line stay its own).
# Fails when PKG was never fetched.
deb_cmd() {
  local pkg=$1 path=$2 root libs
  root="$(deb_root "$pkg")"
  [[ -n $root ]] || return 1
  if [[ $root == / ]]; then
    if [[ -x $path ]]; then DEB_CMD=("$path"); else DEB_CMD=("$(basename "$path")"); fi
    return 0
  fi
  libs="$(deb_lib_dirs "$root")"
  DEB_CMD=(env "LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$root$path")
}

# deb_run PKG PATH ARGS... -> run PATH from PKG's files (see deb_cmd)
deb_run() {
  local pkg=$1 path=$2
  shift 2
  deb_cmd "$pkg" "$path" || { printf '%s: %s was never fetched\n' "$path" "$pkg" >&2; return 127; }
  "${DEB_CMD[@]}" "$@"
}

# apt_candidate PKG -> the version apt would install (dies, naming `apt-get
# update`, when apt knows none: no package lists yet)
apt_candidate() {
  local pkg=$1 v
  v="$(apt-cache policy "$pkg" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')"
  if [[ -z $v || $v == "(none)" ]]; then
    die "$pkg: apt knows no version of it (no package lists on this machine?). Run: sudo apt-get update, then start again"
  fi
  printf '%s' "$v"
}

# apt_missing_closure PKG... -> "name=version" lines: the PKGs (at apt's
# candidate version) and each dependency `apt-get install` would add,
# leaving out installed ones (see the rules)
apt_missing_closure() {
  local out p named=()
  out="$(apt-get -s -q install --reinstall --no-install-recommends "$@" 2>&1)" ||
    die "$1: apt-get -s install failed: $out"
  for p in "$@"; do
    printf '%s=%s\n' "$p" "$(apt_candidate "$p")"
    named+=(-e "^$p=")
  done
  # Inst NAME [INSTALLED] (VERSION ...): only those without an installed version
  sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1=\2/p' <<<"$out" | grep -v "${named[@]}" || true
}

# deb_relink ROOT -> point symlinks of the unpacked tree at the tree (by a
# relative link, so the tree can be moved), else at the host (see the rules)
deb_relink() {
  local root=$1 link target want
  while IFS= read -r -d '' link; do
    target="$(readlink "$link")"
    if [[ $target == /* ]]; then
      want=$target
    else
      want="$(realpath -m -s "$(dirname "/${link#"$root"/}")/$target")"
    fi
    if [[ -e $root$want || -L $root$want ]]; then
      [[ $target == /* ]] && ln -sfn "$(realpath -m -s --relative-to="$(dirname "$link")" "$root$want")" "$link"
    elif [[ -e $want ]]; then
      ln -sfn "$want" "$link"
    fi
  done < <(find "$root" -type l -print0)
}

# deb_ld_path ROOT -> the tree's library directories relative to ROOT, one a line
deb_ld_path() {
  (cd "$1" && find . \( -type f -o -type l \) -name '*.so*' -printf '%h\n' 2>/dev/null | sed 's|^\./\{0,1\}||' | sort -u)
}

# deb_lib_dirs ROOT -> ROOT's library directories, absolute, ":"-separated
deb_lib_dirs() {
  local root=$1
  sed "s|^|$root/|; s|/\$||" "$root/.netmon-ld-library-path" | paste -sd: -
}

# deb_ldd_missing ROOT BIN... -> prints the libraries ldd cannot find for the
# given paths (as installed, e.g. /usr/sbin/snmpd) with the tree's libraries
deb_ldd_missing() {
  local root=$1 bin libs
  shift
  libs="$(deb_lib_dirs "$root")"
  for bin in "$@"; do
    [[ -f $root$bin ]] || { echo "$bin (not in the package)"; continue; }
    LD_LIBRARY_PATH="$libs" ldd "$root$bin" 2>/dev/null | awk -v b="$bin" '/not found/ { print b ": " $1 }' || true
  done
}

# deb_fetch PKG[+PKG2...] BIN... -> makes sure PKG's files are in the cache
# (fetched and unpacked once per version), BIN... (paths as installed) being
# what we run: each must be there and ldd must resolve all its libraries.
# +PKG2 names a package unpacked into PKG's tree even when it is installed,
# for files PKG finds next to its own (chromium's chromium-common).
deb_fetch() {
  local pkg=${1%%+*} named=()
  IFS='+' read -ra named <<<"$1"
  shift
  local cand dir tmp missing why deb list=()
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
    die "$pkg is needed and this is not a Debian system (no apt-get/dpkg): install it yourself"
  fi
  cand="$(apt_candidate "$pkg")"
  dir="${pkg}_${cand//[^A-Za-z0-9.+~-]/_}"
  mkdir -p "$DEBS_CACHE_DIR"
  if [[ ! -f $DEBS_CACHE_DIR/$dir/.netmon-complete ]]; then
    (
      exec 7>"$DEBS_CACHE_DIR/.lock"
      command -v flock >/dev/null 2>&1 && flock -w 600 7
      [[ -f $DEBS_CACHE_DIR/$dir/.netmon-complete ]] && exit 0
      tmp="$DEBS_CACHE_DIR/$dir.tmp.$$"
      rm -rf "$tmp"
      mkdir -p "$tmp/.debs"
      mapfile -t list < <(apt_missing_closure "${named[@]}")
      [[ ${list[0]:-} == "$pkg="* ]] || { rm -rf "$tmp"; die "$pkg: could not work out what to fetch (see above)"; }
      if [[ $NETMON_STACK_DEBS == cache ]]; then why="NETMON_STACK_DEBS=cache"; else why="not installed"; fi
      log "$pkg: $why: fetching ${list[*]} with apt-get download into $DEBS_CACHE_DIR/$dir (one-time, no root needed)"
      if ! (cd "$tmp/.debs" && apt-get download -q "${list[@]}" >"$tmp/.download.log" 2>&1 </dev/null 7>&- 9>&-); then
        cat "$tmp/.download.log" >&2
        rm -rf "$tmp"
        die "$pkg: apt-get download failed (output above); apt's package lists may be missing or old. Run: sudo apt-get update, then start again"
      fi
      for deb in "$tmp"/.debs/*.deb; do
        dpkg -x "$deb" "$tmp" || { rm -rf "$tmp"; die "$pkg: dpkg -x $deb failed"; }
      done
      rm -rf "$tmp/.debs" "$tmp/.download.log"
      deb_relink "$tmp"
      deb_ld_path "$tmp" >"$tmp/.netmon-ld-library-path"
      missing="$(deb_ldd_missing "$tmp" "$@")"
      if [[ -n $missing ]]; then
        rm -rf "$tmp"
        die "$pkg: unpacked, but these are missing: ${missing//$'\n'/; }"
      fi
      printf '%s\n' "${list[@]}" >"$tmp/.netmon-complete"
      rm -rf "${DEBS_CACHE_DIR:?}/$dir"
      mv "$tmp" "$DEBS_CACHE_DIR/$dir"
    ) || exit 1
  fi
  printf '%s\n' "$dir" >"$DEBS_CACHE_DIR/$pkg.current"
}
