import type { DevComponent } from './stack.js';
import { siteComponent } from './site.js';
import { imageProcessorComponent } from './image-processor.js';
import { serverComponent } from './server.js';
import { remindersComponent } from './reminders-timer.js';
import { patientAnswersComponent } from './patient-answers.js';
import { whatsappOutboxComponent } from './whatsapp-outbox.js';

/**
 * What `clinica dev` runs besides S3 and SES, in start order. Each issue that adds a part of the system on
 * AWS adds its local twin here (the backend, the image processor on S3 events, the public site).
 */
export const components: DevComponent[] = [imageProcessorComponent, serverComponent, siteComponent, patientAnswersComponent, remindersComponent, whatsappOutboxComponent];
