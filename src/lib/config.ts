import { PUBLIC_BROKER_URL, PUBLIC_SIGN_OUT_ERASES_LOCAL_DATA } from '$env/static/public';

/**
 * Where the broker lives. Empty means this origin: in `npm run dev` that is the MSW mock broker.
 * Set PUBLIC_BROKER_URL at build time for a real one (see README and .env).
 */
export const brokerBaseUrl: string = PUBLIC_BROKER_URL.replace(/\/+$/, '');

/**
 * The site's policy (build time): sign-out erases this device's session history and recordings
 * (never audit events the broker has not received yet). Off unless set to `true`.
 */
export const signOutErasesLocalData: boolean = PUBLIC_SIGN_OUT_ERASES_LOCAL_DATA === 'true';
