/** Site test fixtures: a config with every site field, and a project folder holding its pictures. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadConfig, type ResolvedConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';

export const fullConfig: ConfigInput = {
  clinic: {
    name: 'Clínica Sorriso',
    address: 'Rua das Flores, 123 — Centro, São Paulo — SP, 01000-000',
    phone: '+55 11 4000-0000',
    email: 'contato@clinicasorriso.com.br',
    whatsapp: '(11) 98888-7777',
    locale: 'pt-BR',
  },
  site: {
    url: 'https://www.clinicasorriso.com.br',
    tagline: 'Odontologia para toda a família',
    description: 'Cuidado odontológico completo no centro de São Paulo, com atendimento humano e tecnologia digital.',
    presentation:
      'Desde 2009, a Clínica Sorriso cuida da saúde bucal de famílias do centro de São Paulo.\n\nNossa equipe une atendimento acolhedor, radiografia digital e planejamento transparente:\nvocê sabe o que será feito, quanto custa e quanto tempo leva.',
    accentColor: '#1f6fb2',
    logo: 'logo.svg',
    heroImage: 'clinic.jpg',
    services: [
      { name: 'Limpeza e prevenção', description: 'Profilaxia, aplicação de flúor e orientação de higiene para todas as idades.' },
      { name: 'Clareamento dental', description: 'Clareamento em consultório ou caseiro, com acompanhamento.' },
      { name: 'Ortodontia', description: 'Aparelhos fixos e alinhadores transparentes.' },
      { name: 'Implantes', description: 'Reabilitação com implantes e próteses sobre implante.' },
      { name: 'Odontopediatria', description: 'Atendimento especializado para crianças, do primeiro dente à adolescência.' },
      { name: 'Tratamento de canal' },
    ],
    team: [
      { name: 'Dra. Ana Lima', role: 'Ortodontista', cro: 'CRO-SP 12345', bio: 'Especialista em ortodontia, atende adultos e adolescentes.', photo: 'ana.jpg' },
      { name: 'Dr. Bruno Costa', role: 'Implantodontista', cro: 'CRO-SP 23456', bio: 'Mestre em implantodontia, 15 anos de experiência.' },
      { name: 'Dra. Carla de Souza', role: 'Odontopediatra', cro: 'CRO-SP 34567' },
    ],
    hours: [
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '08:00', close: '12:00' },
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '13:30', close: '19:00' },
      { days: ['sat'], open: '08:00', close: '12:00' },
    ],
    hoursNote: 'Urgências: ligue ou mande mensagem a qualquer hora.',
    mapQuery: 'Clínica Sorriso, Rua das Flores 123, São Paulo',
    whatsappMessage: 'Olá! Gostaria de agendar uma consulta.',
    social: { instagram: 'https://instagram.com/clinicasorriso', facebook: 'https://facebook.com/clinicasorriso' },
    responsibleDentist: { name: 'Dra. Ana Lima', cro: 'CRO-SP 12345' },
    clinicRegistration: 'CRO-SP EPAO 9876',
    privacy: {
      legalName: 'Sorriso Serviços Odontológicos Ltda.',
      cnpj: '12.345.678/0001-90',
      dpoName: 'Marina Alves',
      dpoEmail: 'privacidade@clinicasorriso.com.br',
      updated: '2025-03-15',
    },
  },
  patients: { retentionYears: 25 },
  aws: { region: 'sa-east-1', architecture: 'arm64', sshCidrs: [] },
};

/** A portrait-like JPEG: a head and shoulders on a gradient (4:5, bigger than the 224 px output). */
export async function portraitJpeg(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="1000">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#cfe3f3"/><stop offset="1" stop-color="#7fa6c9"/></linearGradient></defs>
    <rect width="800" height="1000" fill="url(#g)"/><circle cx="400" cy="400" r="160" fill="#e9c2a0"/>
    <path d="M240 360 Q400 150 560 360 L560 300 Q400 170 240 300 Z" fill="#4a3426"/>
    <ellipse cx="400" cy="1010" rx="330" ry="340" fill="#ffffff"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

/** A landscape photo of a treatment room (3:2): the hero picture is cropped to a square. */
export async function clinicPhotoJpeg(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="800">
    <rect width="1200" height="800" fill="#eef3f6"/><rect y="560" width="1200" height="240" fill="#c9d6df"/>
    <rect x="80" y="120" width="300" height="220" rx="12" fill="#9cc3e0"/><rect x="520" y="380" width="420" height="90" rx="40" fill="#1f6fb2"/>
    <rect x="700" y="470" width="40" height="160" fill="#5b6b77"/><circle cx="980" cy="250" r="70" fill="#fff4c2"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

export const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 48"><rect width="48" height="48" rx="12" fill="#1f6fb2"/><circle cx="24" cy="24" r="12" fill="#fff"/><rect x="58" y="14" width="56" height="8" rx="4" fill="#1f6fb2"/><rect x="58" y="28" width="40" height="6" rx="3" fill="#7fa6c9"/></svg>`;

/** The pictures the full config names, written into a project folder. */
export async function writePictures(dir: string): Promise<void> {
  await writeFile(join(dir, 'ana.jpg'), await portraitJpeg());
  await writeFile(join(dir, 'clinic.jpg'), await clinicPhotoJpeg());
  await writeFile(join(dir, 'logo.svg'), LOGO_SVG);
}

/** A temp project folder with clinica.config.json and the pictures the full config names. */
export async function makeProject(input: ConfigInput = fullConfig): Promise<{ dir: string; config: ResolvedConfig }> {
  const dir = await mkdtemp(join(tmpdir(), 'clinica-site-'));
  await writePictures(dir);
  const configPath = join(dir, 'clinica.config.json');
  await writeFile(configPath, JSON.stringify(input, null, 2));
  return { dir, config: loadConfig({ config: configPath }, {}) };
}
