/** Once per test run: the staff page's script built from src/web, so the server serves the sources as they are. */
import { bundleWeb } from '../scripts/bundle-web.js';

export default async function setup(): Promise<void> {
  await bundleWeb();
}
