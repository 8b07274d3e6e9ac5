/**
 * The interface language. Paraglide resolves the first one (the choice saved in localStorage,
 * else the browser's languages, else English); from then on this rune is the source of truth,
 * so every message rendered in a template re-renders when the technician switches language,
 * without a reload that would lose the page's state.
 */
import {
	baseLocale,
	getLocale as detectLocale,
	isLocale,
	localStorageKey,
	locales,
	overwriteGetLocale,
	overwriteSetLocale,
	type Locale
} from './paraglide/runtime.js';

export type { Locale };
export const LOCALES: readonly Locale[] = locales;

class LocaleState {
	#current = $state.raw<Locale>(baseLocale);

	constructor() {
		if (typeof window !== 'undefined') {
			const detected = detectLocale();
			this.#current = isLocale(detected) ? detected : baseLocale;
			document.documentElement.lang = this.#current;
		}
		overwriteGetLocale(() => this.#current);
		overwriteSetLocale((locale) => this.set(locale));
	}

	get current(): Locale {
		return this.#current;
	}

	/** Switches language at once and remembers the choice (the only thing in localStorage). */
	set(locale: Locale): void {
		this.#current = locale;
		if (typeof window === 'undefined') return;
		document.documentElement.lang = locale;
		try {
			localStorage.setItem(localStorageKey, locale);
		} catch {
			// Storage refused (private mode): the choice lasts for this page only.
		}
	}
}

export const locale = new LocaleState();
