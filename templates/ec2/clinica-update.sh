#!/bin/bash
# Installs the server release named by s3://$CLINICA_BUCKET/deploy/server/current when it is not the one
# installed, checks both files' SHA-256, and restarts the server. Run every minute by clinica-update.timer;
# safe to run by hand. Credentials: the instance role (IMDSv2), nothing stored on disk.
# CLINICA_ROOT prefixes every path (tests run it in a scratch folder); empty on the instance.
set -euo pipefail
root="${CLINICA_ROOT:-}"
. "${root}/etc/clinica/deploy.conf"
export AWS_REGION
base="s3://${CLINICA_BUCKET}/deploy/server"
pointer="$(aws s3 cp "${base}/current" - --only-show-errors)" || { echo "no server release in ${base} yet"; exit 1; }
read -r release zip_sha env_sha <<< "${pointer}"
if [ -z "${release}" ] || [ -z "${zip_sha}" ] || [ -z "${env_sha}" ]; then echo "unreadable ${base}/current"; exit 1; fi
if [ "$(cat "${root}/opt/clinica/release" 2>/dev/null || true)" = "${release}" ]; then exit 0; fi
echo "installing server release ${release}"
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
aws s3 cp "${base}/${release}/server.zip" "${tmp}/server.zip" --only-show-errors
aws s3 cp "${base}/${release}/server.env" "${tmp}/server.env" --only-show-errors
echo "${zip_sha}  ${tmp}/server.zip" | sha256sum --check --quiet
echo "${env_sha}  ${tmp}/server.env" | sha256sum --check --quiet
dir="${root}/opt/clinica/releases/${release}"
rm -rf "${dir}"
mkdir -p "${dir}"
unzip -q "${tmp}/server.zip" -d "${dir}"
chmod -R u=rwX,go=rX "${dir}"
install -m 0600 "${tmp}/server.env" "${root}/etc/clinica/server.env"
ln -sfn "${dir}" "${root}/opt/clinica/current.new"
mv -T "${root}/opt/clinica/current.new" "${root}/opt/clinica/current"
echo "${release}" > "${root}/opt/clinica/release"
if systemctl is-enabled --quiet clinica-server.service; then systemctl restart clinica-server.service; fi
# keep the three newest releases
ls -1dt "${root}"/opt/clinica/releases/*/ | tail -n +4 | xargs -r rm -rf
echo "server release ${release} installed"
