#!/usr/bin/env bash
# Make sure the local backends the system and its tests use are up; start them if not.
set -euo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # port name
  for _ in $(seq 1 60); do up "$1" && return 0; sleep 0.5; done
  echo "$2 did not come up on 127.0.0.1:$1" >&2
  return 1
}

# With MAINT_TEST_PG_URL set the tests use that server instead, which must be up already.
if [[ -z "${MAINT_TEST_PG_URL:-}" ]] && ! up 5432; then
  echo "starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  else
    echo "PostgreSQL is not installed: apt-get install postgresql" >&2
    exit 1
  fi
  wait_for 5432 PostgreSQL
fi

# The tests start their own brokers from config/mosquitto.conf: the binary must exist.
if ! command -v mosquitto >/dev/null || ! command -v mosquitto_sub >/dev/null; then
  echo "installing Mosquitto"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients
fi

if ! up 1883; then
  echo "starting Mosquitto"
  mosquitto -d -c /etc/mosquitto/mosquitto.conf
  wait_for 1883 Mosquitto
fi
