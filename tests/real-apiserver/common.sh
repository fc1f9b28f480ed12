# shellcheck shell=bash
# Shared by install, start, start-kube-scheduler and stop: where things live and how failures read.
# Sourced, not run: the variables are used by the scripts that source it.
# shellcheck disable=SC2034

# The newest Debian kubernetes source package that still ships the server commands: from 1.32
# (trixie, sid) on, Debian's source package is repacked ("+ds") to kubectl alone. bookworm's is
# upstream v1.20.2 with its vendor/ tree, built by Debian with bookworm's Go 1.19.
KUBE_DEB_VERSION=${QUORUM_REAL_APISERVER_DEB_VERSION:-1.20.5+really1.20.2-1.1+deb12u1}

# Outside the work tree: a build takes many minutes and is shared by every checkout and CI run.
CACHE_ROOT=${QUORUM_REAL_APISERVER_CACHE:-$HOME/.cache/quorum-real-apiserver}
VERSION_DIR=$CACHE_ROOT/$KUBE_DEB_VERSION
BIN_DIR=$VERSION_DIR/bin

# Absolute, since stop recognises our processes by this path on their command lines.
RUN_DIR=$(realpath -m -- "${QUORUM_REAL_APISERVER_RUN:-/tmp/quorum-real-apiserver}")
# A file that marks a run directory as ours, so stop never removes a directory it did not make.
RUN_MARKER=.quorum-real-apiserver

# One line on stderr that says what could not be had, then a non-zero exit: .ci/run prints it as is.
die() {
  echo "real-apiserver: $*" >&2
  exit 1
}

note() {
  echo "real-apiserver: $*" >&2
}

binaries_present() {
  [[ -f $BIN_DIR/.complete && -x $BIN_DIR/kube-apiserver && -x $BIN_DIR/kube-scheduler && -x $BIN_DIR/etcd ]]
}

# A TCP port on 127.0.0.1 that nothing listens on now. Random, so two run directories can coexist.
free_port() {
  local port tries=0
  while ((tries++ < 200)); do
    port=$((20000 + RANDOM % 30000))
    if ! ss -Htln "sport = :$port" | grep -q .; then
      echo "$port"
      return 0
    fi
  done
  die "no free TCP port found on 127.0.0.1"
}

# True when the pid recorded in $1 is alive and is one of ours: its command line names this run
# directory (a recycled pid belongs to some other process).
pid_is_ours() {
  local file=$1 pid
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$RUN_DIR/"
}
