/** `clinica site …` end to end: the built CLI against a real local stack (run `npm run build` first). */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { useTestStack } from '../helpers/stack.js';
import { fullConfig, writePictures } from './fixtures.js';

describe('clinica site (built CLI)', () => {
  const stack = useTestStack({ config: { clinic: fullConfig.clinic, site: fullConfig.site } });
  beforeAll(async () => {
    await writePictures(stack.projectDir);
  });
  const cli = (...args: string[]) => runCli(args, { cwd: stack.projectDir });

  it('site build writes the files, reports them in --json, and rebuilds the same folder', async () => {
    const out = join(stack.projectDir, 'public');
    const first = await cli('site', 'build', '--out', out, '--json');
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report.dir).toBe(out);
    expect(report.files.map((f: { path: string }) => f.path)).toContain('privacidade.html');
    expect(await readFile(join(out, 'index.html'), 'utf8')).toContain('<h1 id="hero-title">Clínica Sorriso</h1>');
    const again = await cli('site', 'build', '--out', out, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).removed).toEqual([]);
  });

  it('site build defaults to .clinica/site and refuses a folder that holds other files', async () => {
    const ok = await cli('site', 'build');
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(join(stack.projectDir, '.clinica', 'site', 'index.html'))).toBe(true);
    const other = join(stack.projectDir, 'docs');
    await mkdir(other);
    await writeFile(join(other, 'notes.txt'), 'mine');
    const refused = await cli('site', 'build', '--out', other);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not empty and does not hold a previous site build — pick an empty or new folder/);
    expect(await readFile(join(other, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('site publish uploads to the running stack, then skips what is unchanged; --dry-run changes nothing', async () => {
    const first = await cli('site', 'publish', '--json');
    expect(first.code, first.stderr).toBe(0);
    const r1 = JSON.parse(first.stdout);
    expect(r1.bucket).toBe(stack.config.names.siteBucket);
    expect(r1.upload.length).toBeGreaterThanOrEqual(8);
    expect(r1.url).toBe(`${stack.s3.endpoint}/${stack.config.names.siteBucket}/`);
    expect(r1.warnings).toEqual([]);

    const second = await cli('site', 'publish', '--json');
    const r2 = JSON.parse(second.stdout);
    expect(r2.upload).toEqual([]);
    expect(r2.unchanged.length).toBe(r1.upload.length);

    const config = JSON.parse(await readFile(stack.configPath, 'utf8'));
    config.site.tagline = 'Sorrisos desde 2009';
    await writeFile(stack.configPath, JSON.stringify(config));
    const dry = await cli('site', 'publish', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/upload \(changed\)\s*\|\s*index\.html/);
    expect(dry.stdout).toContain('would be live at');
    expect((await stack.siteStore.getBytes('index.html'))!.toString()).not.toContain('Sorrisos desde 2009');

    const third = await cli('site', 'publish');
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toContain(`live at ${stack.s3.endpoint}/`);
    expect((await stack.siteStore.getBytes('index.html'))!.toString()).toContain('Sorrisos desde 2009');
  });

  it('a mistake in the site section is one line naming the field, exit 2', async () => {
    const config = JSON.parse(await readFile(stack.configPath, 'utf8'));
    config.site.hours = [{ days: ['mon'], open: '18:00', close: '08:00' }];
    const bad = join(stack.projectDir, 'bad.config.json');
    await writeFile(bad, JSON.stringify(config));
    const r = await cli('--config', bad, 'site', 'build', '--out', join(stack.projectDir, 'bad-out'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/site\.hours\.0: expected "open" before "close"/);
  });

  it('site build and publish warn about a notice without a DPO contact and a footer without the dentist in charge, and still build', async () => {
    const config = JSON.parse(await readFile(stack.configPath, 'utf8'));
    const { responsibleDentist: _r, privacy: _p, ...site } = config.site;
    const bare = join(stack.projectDir, 'bare.config.json');
    await writeFile(bare, JSON.stringify({ ...config, clinic: { name: config.clinic.name, whatsapp: config.clinic.whatsapp }, site }));
    const built = await cli('--config', bare, 'site', 'build', '--out', join(stack.projectDir, 'bare-out'));
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).toMatch(/warn.*the privacy notice gives no way to reach the data protection officer.* — set site\.privacy\.dpoEmail, clinic\.email or clinic\.phone/);
    expect(built.stderr).toMatch(/warn.*the footer names no dentist in charge.* — set site\.responsibleDentist/);
    const published = await cli('--config', bare, 'site', 'publish', '--dry-run', '--json');
    expect(published.code, published.stderr).toBe(0);
    expect(JSON.parse(published.stdout).warnings.map((w: { fields: string[] }) => w.fields[0])).toEqual(['site.privacy.dpoEmail', 'site.privacy.dpoName', 'site.responsibleDentist']);
    expect(published.stderr).toContain('the privacy notice gives no way to reach the data protection officer');
  });

  it('site preview serves the site until it is stopped', async () => {
    const child = spawn(process.execPath, [BIN, 'site', 'preview', '--port', '0'], { cwd: stack.projectDir, env: { ...process.env, NO_COLOR: '1' } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk) => {
          out += chunk;
          const m = /site preview at (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`preview exited ${code}`)));
      });
      const home = await fetch(url);
      expect(home.status).toBe(200);
      expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await home.text()).toContain('Clínica Sorriso');
      expect((await fetch(url + 'nope')).status).toBe(404);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
