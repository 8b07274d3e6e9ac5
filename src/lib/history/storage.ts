/**
 * Storage care: how much history uses of what the browser grants, and whether it is persistent
 * (not evicted under pressure). https://storage.spec.whatwg.org/#usage-and-quota
 */
export interface StorageStatus {
	supported: boolean;
	/** Bytes used and granted to this origin (estimates: the browser pads them). */
	usage: number;
	quota: number;
	/** True when the browser promised not to evict this origin's data. */
	persisted: boolean;
}

/**
 * Estimates usage and quota; unless `ask` is false, also asks for persistent storage once it is
 * not granted yet (Chromium decides without a prompt; Firefox may ask the user, so call it from
 * a user gesture there).
 */
export async function storageStatus(options: { ask?: boolean } = {}): Promise<StorageStatus> {
	const storage = typeof navigator === 'undefined' ? undefined : navigator.storage;
	if (!storage?.estimate) return { supported: false, usage: 0, quota: 0, persisted: false };
	const { usage = 0, quota = 0 } = await storage.estimate();
	let persisted = (await storage.persisted?.()) ?? false;
	if (!persisted && options.ask !== false && storage.persist) persisted = await storage.persist();
	return { supported: true, usage, quota, persisted };
}
