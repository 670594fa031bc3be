# Shared helpers for tools/services/{kafka,opensearch}.sh. Sourced, not run.
# shellcheck shell=bash
# shellcheck disable=SC2034  # SERVICES_DIR, LAUNCHED_PID are read by the sourcing scripts

SERVICES_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SERVICES_SCRIPT_DIR/../.." && pwd)
SERVICES_DIR=${PIPEC_SERVICES_DIR:-$REPO_ROOT/.services}

say() { echo "[$SERVICE_NAME] $*"; }
err() { echo "[$SERVICE_NAME] ERROR: $*" >&2; }

now_s() { date +%s.%N; }
elapsed_since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'; }

# pid_alive PID MARKER: the process exists and its command line carries MARKER
# (guards against a stale pid file whose pid was reused).
pid_alive() {
  local pid=$1 marker=$2
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$marker"
}

# running_pid PIDFILE MARKER: prints the pid when the service is up.
running_pid() {
  local pidfile=$1 marker=$2 pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile" 2>/dev/null)
  pid_alive "$pid" "$marker" && echo "$pid"
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# rss_mib PID: resident set size of PID and all its descendants, in MiB.
rss_mib() {
  local pids
  pids=$(ps -o pid= --ppid "$1" 2>/dev/null | tr -s ' \n' ',')
  ps -o rss= -p "$1${pids:+,${pids%,}}" 2>/dev/null |
    awk '{ s += $1 } END { printf "%d", s / 1024 }'
}

# show_log_tail FILE...: the last lines of each existing log, for a failure.
show_log_tail() {
  local f
  for f in "$@"; do
    [ -s "$f" ] || continue
    echo "----- last 40 lines of $f -----" >&2
    tail -n 40 "$f" >&2
  done
  echo "-----" >&2
}

# stop_group PIDFILE MARKER TIMEOUT_S: SIGTERM the service's process group,
# wait for it to exit, SIGKILL it after TIMEOUT_S.
stop_group() {
  local pidfile=$1 marker=$2 timeout=$3 pid pgid t0
  if ! pid=$(running_pid "$pidfile" "$marker"); then
    rm -f "$pidfile"
    say "not running"
    return 0
  fi
  pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
  t0=$(now_s)
  say "stopping pid $pid (process group $pgid)"
  if [ -n "$pgid" ] && [ "$pgid" = "$pid" ]; then
    kill -TERM -- "-$pgid" 2>/dev/null || true
  else
    kill -TERM "$pid" 2>/dev/null || true
  fi
  local deadline=$(( $(date +%s) + timeout ))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "still alive after ${timeout}s; sending SIGKILL"
      if [ "$pgid" = "$pid" ]; then kill -KILL -- "-$pgid" 2>/dev/null || true
      else kill -KILL "$pid" 2>/dev/null || true; fi
      sleep 0.2
    else
      sleep 0.2
    fi
  done
  # Anything left in the group (there should be nothing).
  if [ "$pgid" = "$pid" ]; then kill -KILL -- "-$pgid" 2>/dev/null || true; fi
  rm -f "$pidfile"
  say "stopped in $(elapsed_since "$t0")s"
}

# launch PIDFILE STDOUT_LOG CMD...: start CMD in its own session (so it is
# its own process group leader), detached from the terminal; records its pid.
launch() {
  local pidfile=$1 out=$2
  shift 2
  # A non-interactive bash runs background jobs in its own process group, so
  # setsid(1) calls setsid() without forking: $! is the leader's pid.
  setsid "$@" </dev/null >>"$out" 2>&1 &
  local pid=$!
  echo "$pid" >"$pidfile"
  LAUNCHED_PID=$pid
}

# wait_ready PID TIMEOUT_S CHECK_FN LOG...: polls CHECK_FN until it succeeds.
# Fails at once if the process dies, or after TIMEOUT_S, printing log tails.
wait_ready() {
  local pid=$1 timeout=$2 check=$3
  shift 3
  local deadline=$(( $(date +%s) + timeout )) interval=0.25
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      err "process $pid exited during start-up"
      show_log_tail "$@"
      return 1
    fi
    if "$check"; then return 0; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      err "not ready after ${timeout}s (pid $pid)"
      show_log_tail "$@"
      return 1
    fi
    sleep "$interval"
    # Back off gently: 0.25s, 0.5s, then 1s.
    case $interval in 0.25) interval=0.5 ;; 0.5) interval=1 ;; esac
  done
}

# mvn_resolve POM LIBDIR: copy the POM's runtime dependencies into LIBDIR
# once; done again only when the POM changes (a stamp holds its checksum).
mvn_resolve() {
  local pom=$1 lib=$2 sum stamp
  sum=$(sha256sum "$pom" | cut -d' ' -f1)
  stamp="$lib/.pom.sha256"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return 0; fi
  command -v mvn >/dev/null || { err "mvn not found (run tools/setup.sh)"; return 1; }
  local t0 tmp
  t0=$(now_s)
  say "resolving jars from Maven Central into $lib (first start only)"
  tmp="$lib.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! mvn -q -B -f "$pom" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.mvn.log" 2>&1; then
    err "maven could not resolve $pom"
    tail -n 40 "$tmp.mvn.log" >&2
    rm -rf "$tmp" "$tmp.mvn.log"
    return 1
  fi
  rm -f "$tmp.mvn.log"
  echo "$sum" >"$tmp/.pom.sha256"
  rm -rf "$lib"
  mv "$tmp" "$lib"
  say "jars resolved in $(elapsed_since "$t0")s ($(find "$lib" -name "*.jar" | wc -l) jars)"
}

# The start-up steps both services share; each script defines is_ready and
# cmd_stop. Returns 0 when the service already runs (waited for until ready),
# 1 when it must be started (with PIPEC_SERVICES_FRESH=1 a running one is
# stopped first), 2 when it runs but does not become ready.
# attach_running PIDFILE MARKER WHERE LOG...
attach_running() {
  local pidfile=$1 marker=$2 where=$3 pid
  shift 3
  pid=$(running_pid "$pidfile" "$marker") || return 1
  if [ "${PIPEC_SERVICES_FRESH:-0}" = 1 ]; then
    say "running (pid $pid) but PIPEC_SERVICES_FRESH=1: restarting with empty data"
    cmd_stop
    return 1
  fi
  # Possibly still starting (another start in progress): wait for it.
  wait_ready "$pid" "$TIMEOUT" is_ready "$@" || return 2
  say "already running (pid $pid) on $where"
  return 0
}

# ports_free HINT PORT...: none of the ports is taken on 127.0.0.1.
ports_free() {
  local hint=$1 p
  shift
  for p in "$@"; do
    if port_open "$p"; then
      err "port $p on 127.0.0.1 is already in use by another process (set $hint)"
      return 1
    fi
  done
}

# wipe_if_fresh DIR: with PIPEC_SERVICES_FRESH=1, delete the data directory
# (never /, $HOME or the repository itself).
wipe_if_fresh() {
  local dir=$1
  [ "${PIPEC_SERVICES_FRESH:-0}" = 1 ] && [ -d "$dir" ] || return 0
  case $(cd "$dir" && pwd -P) in
    / | "$HOME" | "$REPO_ROOT") err "refusing to wipe $dir"; return 1 ;;
  esac
  say "PIPEC_SERVICES_FRESH=1: wiping $dir"
  rm -rf "$dir"
}
