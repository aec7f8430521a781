#!/bin/bash
# clinica backend — first-boot set-up of an Amazon Linux 2023 instance (cloud-init runs this once, as root).
# Written by `clinica deploy` from templates/ec2/. Nothing secret is in here: the instance role reads the
# server release and its settings from the data bucket (see clinica-update below).
set -euo pipefail
exec > >(tee -a /var/log/clinica-setup.log) 2>&1

dnf install -y --setopt=install_weak_deps=False nodejs22 unzip dnf-utils
NODE_BIN="$(command -v node-22 || command -v node)"

# the server runs as an unprivileged system user; releases are owned by root and read-only to it
useradd --system --home-dir /opt/clinica --no-create-home --shell /sbin/nologin clinica || true
install -d -m 0755 /opt/clinica /opt/clinica/releases
install -d -m 0755 /etc/clinica

cat > /etc/clinica/deploy.conf <<'CLINICA_EOF'
CLINICA_BUCKET={{bucket}}
AWS_REGION={{region}}
CLINICA_REMINDERS_FUNCTION={{remindersFunction}}
CLINICA_EOF

cat > /usr/local/sbin/clinica-update <<'CLINICA_EOF'
{{include clinica-update.sh}}
CLINICA_EOF
chmod 0755 /usr/local/sbin/clinica-update

sed "s#@NODE@#${NODE_BIN}#" > /etc/systemd/system/clinica-server.service <<'CLINICA_EOF'
{{include clinica-server.service}}
CLINICA_EOF

# the other systemd units, each written to /etc/systemd/system
{{unit clinica-update.service}}
{{unit clinica-update.timer}}
{{unit clinica-reminders.service}}
{{unit clinica-reminders.timer}}
{{unit clinica-patch.service}}
{{unit clinica-patch.timer}}
{{unit clinica-reboot.service}}
{{unit clinica-reboot.timer}}

systemctl daemon-reload
# deploy uploads the release before it starts the instance; wait for it all the same (up to 10 minutes)
for _ in $(seq 1 60); do
  if /usr/local/sbin/clinica-update && [ -e /opt/clinica/current ]; then break; fi
  sleep 10
done
systemctl enable --now clinica-server.service clinica-update.timer clinica-reminders.timer clinica-patch.timer clinica-reboot.timer
echo "clinica set-up done"
