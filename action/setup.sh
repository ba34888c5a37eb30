#!/usr/bin/env bash
# The logic of the vodplan setup action (action.yml at the repository root), in plain bash so that it
# can be run and tested anywhere. Two subcommands, run as two steps around a cache step:
#
#   setup.sh resolve   INPUT_VERSION (x.y.z, vx.y.z or `latest`) -> outputs version, target, archive,
#                      cache-dir (where the release archive is kept between runs)
#   setup.sh install   INPUT_VERSION (x.y.z) [INPUT_CHECKSUMS] -> downloads the archive unless the
#                      cache restored it, verifies its SHA-256 (every run, cached or not) BEFORE
#                      extracting it, extracts only the binary, checks `vodplan --version`, adds it
#                      to PATH and outputs the version
#
# INPUT_RELEASES_URL (default https://github.com/vodplan/vodplan/releases) is where the releases
# are: a mirror, or a local stand-in in tests; http:// is accepted only for loopback hosts.
# INPUT_CHECKSUMS, optional: lines `<sha256> [*]<archive>` (the release's sha256.sum format). When
# set, the archive must be listed there with that hash, and the `.sha256` file published beside the
# archive is not consulted: the hash then comes from your repository, not from the release host.
#
# Outputs go to $GITHUB_OUTPUT and the binary's directory to $GITHUB_PATH when set (GitHub
# Actions); otherwise both are printed. Nothing wraps vodplan: the binary itself is on PATH, so its
# exit codes reach the calling step unchanged.
set -euo pipefail

die() {
  echo "::error::vodplan setup: $*" >&2
  exit 1
}

base=${INPUT_RELEASES_URL:-https://github.com/vodplan/vodplan/releases}
base=${base%/}
case $base in
  https://*) ;;
  http://127.*|http://localhost[:/]*|http://localhost|http://\[::1\]*) ;;
  *) die "releases URL must be https:// (http:// only to a loopback host): $base" ;;
esac

fetch() { # URL FILE
  curl --silent --show-error --fail --location --retry 3 --connect-timeout 20 --max-time 300 \
    --output "$2" "$1"
}

output() { # NAME VALUE
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >> "$GITHUB_OUTPUT"; else echo "$1=$2"; fi
}

valid_version() {
  [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]
}

# The release target for this runner, as the release workflow (dist) names its archives.
target() {
  local os arch
  os=${RUNNER_OS:-$(uname -s)}
  arch=${RUNNER_ARCH:-$(uname -m)}
  case $os in
    Linux) os=linux ;;
    macOS|Darwin) os=macos ;;
    Windows|MINGW*|MSYS*|CYGWIN*) os=windows ;;
    *) die "no vodplan release for the OS $os" ;;
  esac
  case $arch in
    X64|x86_64|amd64) arch=x86_64 ;;
    ARM64|arm64|aarch64) arch=aarch64 ;;
    *) die "no vodplan release for the architecture $arch" ;;
  esac
  case $os-$arch in
    linux-*) echo "$arch-unknown-linux-musl" ;;
    macos-*) echo "$arch-apple-darwin" ;;
    windows-x86_64) echo "x86_64-pc-windows-msvc" ;;
    *) die "no vodplan release for $os on $arch" ;;
  esac
}

archive_name() { # TARGET
  case $1 in
    *windows*) echo "vodplan-$1.zip" ;;
    *) echo "vodplan-$1.tar.gz" ;;
  esac
}

cache_dir() { # VERSION TARGET
  echo "${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}}/vodplan/$1/$2"
}

sha256_of() {
  if command -v sha256sum > /dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# The expected hash of ARCHIVE, from a sha256sum-format text on stdin (`<hex> [*]<name>`).
listed_hash() { # ARCHIVE
  local hash name
  while read -r hash name || [ -n "${hash:-}" ]; do
    name=${name#\*}
    name=${name%$'\r'}
    if [ "$name" = "$1" ] && [[ $hash =~ ^[0-9a-fA-F]{64}$ ]]; then
      echo "$hash" | tr 'A-F' 'a-f'
      return 0
    fi
  done
  return 1
}

resolve() {
  local version=${INPUT_VERSION:-latest} t
  version=${version#v}
  if [ "$version" = latest ]; then
    # GitHub answers /releases/latest with a redirect to /releases/tag/vX.Y.Z.
    local url
    url=$(curl --silent --show-error --fail --location --retry 3 --connect-timeout 20 --max-time 60 \
            --output /dev/null --write-out '%{url_effective}' "$base/latest") \
      || die "could not look up the latest release at $base/latest"
    version=${url%/}
    version=${version##*/}
    version=${version#v}
    valid_version "$version" || die "the latest release at $base/latest is not a version: $url"
  fi
  valid_version "$version" || die "version must be x.y.z or latest, not '${INPUT_VERSION:-}'"
  t=$(target)
  output version "$version"
  output target "$t"
  output archive "$(archive_name "$t")"
  output cache-dir "$(cache_dir "$version" "$t")"
}

install() {
  local version=${INPUT_VERSION:-} t archive dir url expected actual sums bin
  version=${version#v}
  valid_version "$version" || die "install needs a resolved version (x.y.z), not '$version'"
  t=$(target)
  archive=$(archive_name "$t")
  dir=$(cache_dir "$version" "$t")
  url="$base/download/v$version/$archive"
  mkdir -p "$dir"

  if [ -n "${INPUT_CHECKSUMS:-}" ]; then
    expected=$(printf '%s\n' "$INPUT_CHECKSUMS" | listed_hash "$archive") \
      || die "the checksums input lists no SHA-256 for $archive (vodplan $version for $t)"
  else
    sums="$dir/$archive.sha256"
    fetch "$url.sha256" "$sums.part" || die "could not download $url.sha256"
    mv "$sums.part" "$sums"
    expected=$(listed_hash "$archive" < "$sums") || die "$url.sha256 names no SHA-256 for $archive"
  fi

  if [ -f "$dir/$archive" ]; then
    echo "vodplan $version for $t: the archive is in the cache"
  else
    echo "Downloading $url"
    fetch "$url" "$dir/$archive.part" || die "could not download $url"
    mv "$dir/$archive.part" "$dir/$archive"
  fi

  actual=$(sha256_of "$dir/$archive")
  if [ "$actual" != "$expected" ]; then
    rm -f "$dir/$archive"
    die "SHA-256 mismatch for $archive: expected $expected, got $actual. It was not run and has been removed."
  fi
  echo "SHA-256 verified: $actual  $archive"

  bin="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/vodplan-$version-$t"
  rm -rf "$bin"
  mkdir -p "$bin"
  case $archive in
    *.zip)
      if command -v unzip > /dev/null; then
        unzip -q -o "$dir/$archive" vodplan.exe -d "$bin"
      else
        7z e -y -o"$bin" "$dir/$archive" vodplan.exe > /dev/null
      fi ;;
    *)
      # dist's tarballs hold one directory named like the archive.
      tar -xzf "$dir/$archive" -C "$bin" --strip-components 1 "vodplan-$t/vodplan" ;;
  esac

  local exe="$bin/vodplan"
  [ -f "$exe" ] || exe="$bin/vodplan.exe"
  [ -f "$exe" ] || die "$archive holds no vodplan binary"
  local said
  said=$("$exe" --version) || die "the installed vodplan does not run on this runner ($t)"
  [ "$said" = "vodplan $version" ] || die "the archive for $version holds '$said'"
  echo "Installed $said ($t) in $bin"

  if [ -n "${GITHUB_PATH:-}" ]; then echo "$bin" >> "$GITHUB_PATH"; else echo "path=$bin"; fi
  output version "$version"
}

case ${1:-} in
  resolve) resolve ;;
  install) install ;;
  *) echo "usage: $0 resolve|install (inputs in INPUT_* variables, see the top of this file)" >&2; exit 2 ;;
esac
