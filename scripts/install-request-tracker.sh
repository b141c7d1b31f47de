#!/usr/bin/env bash
# Installs Request Tracker 5 from Debian's packages, for the ticket-sink tests (test/handoff/rt-sink.test.ts).
# Needs root and Debian's package mirror; installs nothing when RT is already there. About a minute.
# The tests start their own RT on SQLite in a temporary directory: nothing here configures a site.
set -euo pipefail

if [ -x /usr/share/request-tracker5/libexec/rt-server ] && command -v rt-setup-database-5 >/dev/null; then
  echo "Request Tracker 5 already installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-request-tracker: needs root (apt-get); the RT tests will be skipped" >&2
  exit 1
fi

# Answer the package's questions ahead: no database set-up by dbconfig, no cron jobs.
debconf-set-selections <<'EOF'
request-tracker5 request-tracker5/dbconfig-install boolean false
request-tracker5 request-tracker5/rtname string enso-test
request-tracker5 request-tracker5/organization string enso-test.invalid
request-tracker5 request-tracker5/correspondaddress string rt@enso-test.invalid
request-tracker5 request-tracker5/commentaddress string rt-comment@enso-test.invalid
request-tracker5 request-tracker5/webbaseurl string http://127.0.0.1
request-tracker5 request-tracker5/install-cronjobs boolean false
EOF

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  request-tracker5 rt5-db-sqlite rt5-standalone rt5-clients >/dev/null
echo "Request Tracker $(dpkg-query -W -f='${Version}' request-tracker5) installed"
