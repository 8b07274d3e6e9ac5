// A single-page app: rendered in the browser only, served from one fallback page.
export const ssr = false;
export const prerender = false;
