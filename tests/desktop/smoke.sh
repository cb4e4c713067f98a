#!/usr/bin/env bash
# Smoke test of the desktop app under Xvfb:
#   * the app starts (training on, checkpoint-on-quit = save, exposed on a network port),
#   * its window's Studio makes its start-up calls (seen in the loopback server's /metrics),
#   * the Studio paints its first samples (the app prints "first Studio paint"),
#   * a screenshot is kept as an artifact,
#   * the network port refuses a call without the token and answers one with it,
#   * a second launch hands over to the first and exits 0 (when a D-Bus session bus exists),
#   * a graceful quit (SIGTERM, the same path as the Quit menu item) exits 0, writes the
#     checkpoint and folds the journal into samples.h5,
#   * the window's size and position are saved for the next start.
# Usage: tests/desktop/smoke.sh [APP_BINARY] [ARTIFACT_DIR]
#   APP_BINARY   default: $CARGO_TARGET_DIR/debug/weightslab-desktop (or target/debug/...)
#   ARTIFACT_DIR default: artifacts/desktop
# Needs: xvfb, imagemagick (import), curl; optional dbus-daemon for the single-instance check.
# Env: WL_SMOKE_TIMEOUT (seconds to wait for the first paint, default 240).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
APP="${1:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/weightslab-desktop}"
ARTIFACTS="${2:-$ROOT/artifacts/desktop}"
TIMEOUT="${WL_SMOKE_TIMEOUT:-240}"
mkdir -p "$ARTIFACTS"
[ -x "$APP" ] || { echo "smoke: no app binary at $APP (build it: cargo build -p weightslab-desktop)" >&2; exit 2; }
for tool in Xvfb import curl; do
  command -v "$tool" >/dev/null || { echo "smoke: $tool is missing (apt-get install xvfb imagemagick curl)" >&2; exit 2; }
done

WORK="$(mktemp -d)"
LOG_DIR="$WORK/logs"
OUT="$ARTIFACTS/app.stdout.log"
ERR="$ARTIFACTS/app.stderr.log"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  # The private session bus may have activated helpers (the XDG document portal mounts a FUSE
  # folder under our XDG_RUNTIME_DIR): stop the ones that run in this test's environment.
  for pid in $(pgrep -u "$(id -u)" 2>/dev/null); do
    if { tr '\0' '\n' < "/proc/$pid/environ"; } 2>/dev/null | grep -qx "XDG_RUNTIME_DIR=$WORK/xdg"; then
      kill "$pid" 2>/dev/null || true
    fi
  done
  fusermount -u "$WORK/xdg/doc" 2>/dev/null || umount -l "$WORK/xdg/doc" 2>/dev/null || true
  rm -rf "$WORK" 2>/dev/null || true
}
trap cleanup EXIT
fail() { echo "smoke: FAIL: $*" >&2; echo "--- app stdout"; cat "$OUT" 2>/dev/null; echo "--- app stderr (tail)"; tail -n 40 "$ERR" 2>/dev/null; exit 1; }
passed=0
ok() { echo "smoke: ok: $*"; passed=$((passed + 1)); }

# A free display number: the first without a lock file.
display=99
while [ -e "/tmp/.X${display}-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
PIDS+=($!)
export DISPLAY=":$display"
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
export XDG_RUNTIME_DIR="$WORK/xdg"; mkdir -m 700 "$XDG_RUNTIME_DIR"
# Window state lives under the config dir: keep the test's away from the person's.
export XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data"

have_dbus=0
if command -v dbus-daemon >/dev/null; then
  dbus-daemon --session --fork --print-address=3 --print-pid=4 3>"$WORK/dbus.addr" 4>"$WORK/dbus.pid"
  PIDS+=("$(cat "$WORK/dbus.pid")")
  export DBUS_SESSION_BUS_ADDRESS="$(head -n1 "$WORK/dbus.addr")"
  have_dbus=1
fi

started=$(date +%s.%N)
WL_DESKTOP_EXIT_AFTER_SECS=900 "$APP" --log-dir "$LOG_DIR" --thumbnails cpu \
  --checkpoint-on-quit save --expose --expose-port 0 --print-token >"$OUT" 2>"$ERR" &
APP_PID=$!
PIDS+=("$APP_PID")

# 1. It starts: the Studio URL on stdout.
url=""
for _ in $(seq $((TIMEOUT * 10))); do
  url=$(sed -n 's/.*Studio at \(http:[^ ]*\).*/\1/p' "$OUT" | head -n1)
  [ -n "$url" ] && break
  kill -0 "$APP_PID" 2>/dev/null || fail "the app exited before serving"
  sleep 0.1
done
[ -n "$url" ] || fail "no Studio URL after ${TIMEOUT}s"
ok "serving the Studio at $url after $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"

# 2. The Studio paints its first samples.
for _ in $(seq $((TIMEOUT * 10))); do
  grep -q "first Studio paint" "$OUT" && break
  kill -0 "$APP_PID" 2>/dev/null || fail "the app exited before the first paint"
  sleep 0.1
done
grep -q "first Studio paint" "$OUT" || fail "no first Studio paint after ${TIMEOUT}s"
ok "$(grep -o 'first Studio paint.*' "$OUT")"

# 3. The Studio's start-up calls reached the server. Most go out after the first paint (the
#    Studio loads its RPC client then), so /metrics is read until all three are there.
calls() { grep "^weightslab_rpc_calls_total{" "$ARTIFACTS/metrics.txt" | grep "method=\"$1\"" | awk '{s+=$2} END {print s+0}'; }
all_called() {
  for method in GetDataSamples GetMetaData GetLatestLoggerData; do
    [ "$(calls "$method")" -gt 0 ] || return 1
  done
}
for _ in $(seq $((TIMEOUT * 10))); do
  curl -fsS "${url}metrics" >"$ARTIFACTS/metrics.txt" || fail "GET /metrics failed"
  all_called && break
  kill -0 "$APP_PID" 2>/dev/null || fail "the app exited before its start-up calls"
  sleep 0.1
done
for method in GetDataSamples GetMetaData GetLatestLoggerData; do
  [ "$(calls "$method")" -gt 0 ] || fail "the Studio never called $method in ${TIMEOUT}s (see $ARTIFACTS/metrics.txt)"
done
ok "start-up calls seen in /metrics: GetDataSamples=$(calls GetDataSamples) GetMetaData=$(calls GetMetaData) GetLatestLoggerData=$(calls GetLatestLoggerData)"

# 4. Screenshot (after a moment so thumbnails and curves are drawn).
sleep 2
import -window root "$ARTIFACTS/desktop.png" || fail "screenshot failed"
colours=$(convert "$ARTIFACTS/desktop.png" -format '%k' info: 2>/dev/null || echo 0)
[ "${colours:-0}" -gt 50 ] || fail "the screenshot looks blank ($colours colours)"
ok "screenshot $ARTIFACTS/desktop.png ($colours colours)"

# 5. The network port wants the token.
net_port=$(sed -n 's/.*exposed on the network: http:\/\/[^ ]*:\([0-9]*\)\/.*/\1/p' "$OUT" | head -n1)
token=$(sed -n 's/.*weightslab-desktop: token \([0-9a-f]*\).*/\1/p' "$OUT" | head -n1)
[ -n "$net_port" ] && [ -n "$token" ] || fail "the app did not report its network port and token"
grpc_web() {  # GetDataSplits(Empty) over gRPC-Web; prints the headers and the body's trailer
  printf '\x00\x00\x00\x00\x00' | curl -sS -i --max-time 10 -X POST \
    -H 'content-type: application/grpc-web+proto' -H 'x-grpc-web: 1' "$@" \
    --data-binary @- "http://127.0.0.1:$net_port/ExperimentService/GetDataSplits" | tr -d '\r' | tr '\0\200' '\n\n'
}
grpc_web | grep -qi '^grpc-status: *16' || fail "a call without the token was not refused with UNAUTHENTICATED"
grpc_web -H "authorization: Bearer $token" | grep -qa 'grpc-status: *0' || fail "a call with the token did not succeed"
ok "network port $net_port refuses calls without the token and answers with it"

# 6. Single instance: a second launch hands over and exits 0.
if [ "$have_dbus" = 1 ]; then
  timeout 60 "$APP" --log-dir "$WORK/second" >"$ARTIFACTS/second.stdout.log" 2>"$ARTIFACTS/second.stderr.log" \
    || fail "the second launch did not exit 0"
  for _ in $(seq 50); do grep -q "second launch" "$OUT" && break; sleep 0.1; done
  grep -q "second launch" "$OUT" || fail "the first instance was not told about the second launch"
  [ ! -e "$WORK/second/samples.h5" ] || fail "the second launch started its own service"
  ok "a second launch focused the first and exited 0"
else
  echo "smoke: skip: no dbus-daemon, single-instance not checked"
fi

# 7. Graceful quit: exit 0, checkpoint written, journal folded.
kill -TERM "$APP_PID"
code=0
wait "$APP_PID" || code=$?
[ "$code" = 0 ] || fail "the app exited $code"
grep -q "journal folded into samples.h5" "$OUT" || fail "the journal was not folded"
grep -q "checkpoint saved at" "$OUT" || fail "no checkpoint was written although training advanced"
[ -s "$LOG_DIR/samples.h5" ] || fail "no samples.h5 in the log folder"
if [ -e "$LOG_DIR/samples.journal" ] && grep -qa '"kind":"edit"' "$LOG_DIR/samples.journal"; then
  fail "the journal still holds edits after the fold"
fi
ok "graceful quit: exit 0, $(grep -o 'stopped at step.*' "$OUT")"

# 8. The window's size and position were remembered for the next start.
state="$XDG_CONFIG_HOME/org.weightslab.desktop/.window-state.json"
grep -q '"main"' "$state" 2>/dev/null || fail "no remembered window state in $state"
ok "window state saved in $state"
echo "smoke: $passed passed, 0 failed"
