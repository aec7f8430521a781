/**
 * The instance patches itself: Amazon Linux security updates every day, and a reboot — only when an update
 * (the kernel) needs one — inside aws.maintenanceWindow in the clinic's time zone. Checked in the user data
 * deploy sends to EC2.
 */
import { describe, expect, it } from 'vitest';
import { maintenanceTimer, renderUserData } from '../../src/infra/user-data.js';

const values = { bucket: 'sorriso-prod-data', region: 'sa-east-1', remindersFunction: 'sorriso-prod-reminders', timeZone: 'America/Sao_Paulo' };

const unit = (text: string, file: string) => text.split(`> /etc/systemd/system/${file} <<'CLINICA_EOF'\n`)[1]!.split('\nCLINICA_EOF')[0]!;

describe('instance patching (templates/ec2)', () => {
  it('installs security updates daily and reboots for them only inside the default 03:00–04:00 window, clinic time', () => {
    const text = renderUserData({ ...values, ...maintenanceTimer() });
    expect(unit(text, 'clinica-patch.service')).toContain('ExecStart=/usr/bin/dnf upgrade -y --security --releasever=latest');
    expect(unit(text, 'clinica-patch.timer')).toMatch(/OnCalendar=daily\nRandomizedDelaySec=1h\nPersistent=true/);
    expect(unit(text, 'clinica-reboot.service')).toContain("if ! /usr/bin/needs-restarting -r >/dev/null; then /usr/bin/systemctl reboot; fi");
    expect(unit(text, 'clinica-reboot.timer')).toMatch(/OnCalendar=\*-\*-\* 03:00:00 America\/Sao_Paulo\nRandomizedDelaySec=55min/);
    expect(text).toMatch(/systemctl enable --now .*clinica-patch\.timer clinica-reboot\.timer/);
    expect(text).toContain('dnf-utils'); // needs-restarting
    expect(Buffer.byteLength(text)).toBeLessThan(16 * 1024);
  });

  it('follows aws.maintenanceWindow, also across midnight', () => {
    expect(maintenanceTimer({ start: '22:30', end: '01:00' })).toEqual({ maintenanceStart: '22:30', maintenanceSpreadMinutes: '145' });
    const text = renderUserData({ ...values, timeZone: 'America/Manaus', ...maintenanceTimer({ start: '01:15', end: '02:00' }) });
    expect(unit(text, 'clinica-reboot.timer')).toMatch(/OnCalendar=\*-\*-\* 01:15:00 America\/Manaus\nRandomizedDelaySec=40min/);
  });
});
