# Shared by the wrk benchmarks (sourced from the repository root): a work directory cleaned up on exit, free ports, and a
# throwaway PostgreSQL with its default, durable settings. Callers add server pids to `pids`.
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -f "$work/pg/PG_VERSION" ]; then $as_pg pg_ctl -D "$work/pg" -m fast stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# PostgreSQL runs as its own user when we are root.
pgbin=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
as_pg=""
if [ "$(id -u)" = 0 ]; then as_pg="setpriv --reuid=postgres --regid=postgres --init-groups env PATH=$pgbin:$PATH"; chmod 755 "$work"; fi
export PATH="$pgbin:$PATH"

# database_url sqlite|postgres -> a fresh database's URL (PostgreSQL started on first use).
database_url() {
  if [ "$1" = sqlite ]; then
    echo "sqlite://$work/bench.db"
    return
  fi
  pg_port=$(free_port)
  mkdir -p "$work/pg" && chown -R postgres "$work/pg" 2>/dev/null || true
  $as_pg initdb -D "$work/pg" -A trust -U postgres --no-sync >/dev/null
  $as_pg pg_ctl -D "$work/pg" -l "$work/pg/log" -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  echo "postgres://postgres@127.0.0.1:$pg_port/postgres"
}
