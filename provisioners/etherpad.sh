#!/bin/sh
# Installs Etherpad under /opt/etherpad-lite on Amazon Linux 2023 and runs it
# as a systemd service on port 9001. Runs as root (amibake provisions over
# AWS Systems Manager). Idempotent, so a retry or an SSM re-run is harmless.
set -eu
: "${ETHERPAD_VERSION:?ETHERPAD_VERSION must be set}"

dnf install -y nodejs npm git

id etherpad >/dev/null 2>&1 || useradd --system --home-dir /opt/etherpad-lite --shell /sbin/nologin etherpad

if [ ! -d /opt/etherpad-lite/.git ]; then
  git clone --depth 1 --branch "$ETHERPAD_VERSION" https://github.com/ether/etherpad-lite.git /opt/etherpad-lite
fi
cd /opt/etherpad-lite
# What Etherpad 1.8's bin/installDeps.sh does: link the server package into
# node_modules and install its locked dependencies.
mkdir -p node_modules
ln -sfn ../src node_modules/ep_etherpad-lite
npm ci --omit=dev --prefix /opt/etherpad-lite/src
chown -R etherpad:etherpad /opt/etherpad-lite

mkdir -p /etc/systemd/system
cat > /etc/systemd/system/etherpad.service <<'UNIT'
[Unit]
Description=Etherpad
After=network.target

[Service]
User=etherpad
WorkingDirectory=/opt/etherpad-lite
ExecStart=/usr/bin/node /opt/etherpad-lite/node_modules/ep_etherpad-lite/node/server.js
Restart=always

[Install]
WantedBy=multi-user.target
UNIT
systemctl enable etherpad.service
