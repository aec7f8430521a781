import { z } from 'zod';

/** The public website's content (issue 9 fills this in). */
export const siteSchema = z
  .object({
    presentation: z.string().max(2000).optional(),
  })
  .strict();

export type SiteConfig = z.output<typeof siteSchema>;
