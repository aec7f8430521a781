/** Builds the staff page's script (templates/staff/app.js, or `outfile`) from src/web; returns its path. */
export function bundleWeb(options?: { outfile?: string }): Promise<string>;
