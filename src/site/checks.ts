/**
 * What the site should show by law or professional rule but the config leaves out. The site still builds
 * (a clinic may be filling its config in); the commands that build or publish it tell the person which
 * settings to add.
 */
import { siteConfigOf } from '../config/site.js';
import type { SiteSource } from './view.js';

export interface SiteWarning {
  /** the config settings that would resolve it */
  fields: string[];
  message: string;
}

export function siteWarnings(source: SiteSource): SiteWarning[] {
  const site = siteConfigOf(source);
  const warnings: SiteWarning[] = [];
  if (!source.clinic.email && !site.privacy.dpoEmail && !source.clinic.phone) {
    warnings.push({
      fields: ['site.privacy.dpoEmail', 'clinic.email', 'clinic.phone'],
      message:
        'the privacy notice gives no way to reach the data protection officer, whose contact LGPD art. 41 §1 asks to be public — set site.privacy.dpoEmail, clinic.email or clinic.phone',
    });
  }
  // art. 41 §1 asks for the identity of the encarregado too, not only a way to reach them
  if (!site.privacy.dpoName) {
    warnings.push({
      fields: ['site.privacy.dpoName'],
      message:
        'the privacy notice does not name the data protection officer (encarregado), whose identity LGPD art. 41 §1 asks to be public — set site.privacy.dpoName (a person, or the company that acts as encarregado)',
    });
  }
  // Código de Ética Odontológica (Res. CFO 118/2012), art. 43: a clinic's advertising names the clinic and its
  // CRO registration, and its dentist in charge (responsável técnico) with theirs
  if (!site.responsibleDentist) {
    warnings.push({
      fields: ['site.responsibleDentist'],
      message:
        "the footer names no dentist in charge: the CFO's Code of Dental Ethics (art. 43) asks clinic advertising, this site included, for their name and CRO — set site.responsibleDentist { \"name\", \"cro\" }",
    });
  }
  if (!site.clinicRegistration) {
    warnings.push({
      fields: ['site.clinicRegistration'],
      message:
        "the footer shows no CRO registration of the clinic, which the CFO's Code of Dental Ethics (art. 43) asks clinic advertising for — set site.clinicRegistration (e.g. \"CRO-SP EPAO 1234\"; a dentist's own practice without a company can leave it out)",
    });
  }
  return warnings;
}
