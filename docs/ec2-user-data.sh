#!/bin/bash
# EC2 user data for ship-logs: installs Node.js, the ship-logs package, its
# config and systemd unit, and starts it. cloud-init runs it once, as root, at
# first boot; its output is in /var/log/cloud-init-output.log.
#
# Works on Amazon Linux 2023 (dnf nodejsNN) and on Debian/Ubuntu (the distro's
# nodejs when it is new enough, else the official build from nodejs.org,
# checked against its SHASUMS256.txt).
#
# Edit the settings below, or let docs/iam/README.md's run-instances command
# fill them in with sed. The instance needs an instance profile whose role may
# s3:PutObject on arn:aws:s3:::BUCKET/PREFIX* (docs/iam/).
set -euo pipefail

# ---- settings ---------------------------------------------------------------
BUCKET=my-log-bucket
PREFIX=logs/
# Globs to ship, one per array item (quoted: the daemon expands them, not bash).
# Your application's logs belong here. These two are rsyslog's on Ubuntu;
# Amazon Linux 2023 and Debian 12 keep system logs in the journal only, so there
# they match nothing (the daemon says so at start, at warn, and ships the rest).
WATCH=("/var/log/syslog" "/var/log/auth.log")
# What `npm install -g` installs: the registry package, or a tarball URL or path
# (`npm pack` output, e.g. from a release or a presigned S3 URL).
PACKAGE=ship-logs
# Node.js major version to install when the system has none >= 20.19.
NODE_MAJOR=22
# ------------------------------------------------------------------------------

log() { printf 'ship-logs user data: %s\n' "$*"; }

# ship-logs needs Node.js >= 20.19 (package.json "engines").
node_is_recent() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'
}

install_node_from_nodejs_org() {
  local arch base file work
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) log "no Node.js build for $(uname -m)"; exit 1 ;;
  esac
  base="https://nodejs.org/dist/latest-v${NODE_MAJOR}.x"
  work=$(mktemp -d)
  curl -fsSL --retry 5 -o "$work/SHASUMS256.txt" "$base/SHASUMS256.txt"
  file=$(grep -oE "node-v[0-9.]+-linux-${arch}\.tar\.xz" "$work/SHASUMS256.txt" | head -n 1)
  curl -fsSL --retry 5 -o "$work/$file" "$base/$file"
  (cd "$work" && grep " ${file}\$" SHASUMS256.txt | sha256sum -c -)
  tar -xJf "$work/$file" -C /usr/local --strip-components=1 --no-same-owner
  rm -rf "$work"
}

install_node() {
  if node_is_recent; then
    log "using node $(node --version)"
    return
  fi
  if command -v dnf >/dev/null 2>&1; then
    # Amazon Linux 2023: namespaced packages; `alternatives` picks /usr/bin/node.
    dnf install -y "nodejs${NODE_MAJOR}" "nodejs${NODE_MAJOR}-npm"
    alternatives --set node "/usr/bin/node-${NODE_MAJOR}"
  elif command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q ca-certificates curl xz-utils
    # Debian 13 ships nodejs 20.19; Debian 12 and Ubuntu 24.04 ship 18, too old.
    local candidate
    candidate=$(apt-cache policy nodejs | awk '/Candidate:/ { print $2 }')
    if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && dpkg --compare-versions "$candidate" ge 20.19; then
      apt-get install -y -q nodejs npm
    else
      install_node_from_nodejs_org
    fi
  else
    install_node_from_nodejs_org
  fi
  node_is_recent || { log "could not install Node.js >= 20.19"; exit 1; }
  log "installed node $(node --version)"
}

# The role name IMDS reports, or a warning: without a role ship-logs has no
# credentials (it retries and logs why until one is attached).
report_instance_profile() {
  local token role
  token=$(curl -fsS -m 5 -X PUT http://169.254.169.254/latest/api/token \
    -H "X-aws-ec2-metadata-token-ttl-seconds: 60") || { log "warning: IMDSv2 is not reachable"; return 0; }
  role=$(curl -fsS -m 5 -H "X-aws-ec2-metadata-token: $token" \
    http://169.254.169.254/latest/meta-data/iam/security-credentials/) || role=""
  if [ -n "$role" ]; then log "instance profile role: $role"; else log "warning: no instance profile attached"; fi
}

# YAML double-quoted string: backslashes and quotes escaped.
yaml_quote() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

write_config() {
  install -d -m 0755 /etc/ship-logs
  {
    echo "# Written by EC2 user data; see ship-logs --help and systemd/config.example.yaml."
    echo "watch:"
    local glob
    for glob in "${WATCH[@]}"; do echo "  - $(yaml_quote "$glob")"; done
    echo "bucket: $(yaml_quote "$BUCKET")"
    echo "prefix: $(yaml_quote "$PREFIX")"
  } >/etc/ship-logs/config.yaml.new
  chmod 0644 /etc/ship-logs/config.yaml.new
  mv /etc/ship-logs/config.yaml.new /etc/ship-logs/config.yaml
}

install_unit() {
  local package_dir bin
  package_dir="$(npm root -g)/ship-logs"
  install -m 0644 "$package_dir/systemd/ship-logs.service" /etc/systemd/system/ship-logs.service
  if [ ! -e /etc/default/ship-logs ]; then
    install -m 0644 "$package_dir/systemd/ship-logs.default" /etc/default/ship-logs
  fi
  # The unit runs `/usr/bin/env ship-logs` on systemd's default PATH; point it
  # at the bin when npm's prefix put it elsewhere.
  bin=$(command -v ship-logs)
  case "$bin" in
    /usr/bin/ship-logs | /usr/local/bin/ship-logs) ;;
    *)
      install -d -m 0755 /etc/systemd/system/ship-logs.service.d
      printf '[Service]\nExecStart=\nExecStart=%s --config /etc/ship-logs/config.yaml\n' "$bin" \
        >/etc/systemd/system/ship-logs.service.d/exec-start.conf
      ;;
  esac
}

install_node
npm install -g --no-audit --no-fund "$PACKAGE"
log "installed $(ship-logs --version)"
write_config
install_unit
report_instance_profile
systemctl daemon-reload
systemctl enable --now ship-logs.service
log "started; follow it with: journalctl -u ship-logs -f"
