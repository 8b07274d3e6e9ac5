import { PUBLIC_BROKER_URL } from '$env/static/public';

/**
 * Where the broker lives. Empty means this origin: in `npm run dev` that is the MSW mock broker.
 * Set PUBLIC_BROKER_URL at build time for a real one (see README and .env).
 */
export const brokerBaseUrl: string = PUBLIC_BROKER_URL.replace(/\/+$/, '');
