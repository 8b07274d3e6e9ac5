/** A date input's day (YYYY-MM-DD) in local time: its first and its last millisecond. */
function parts(value: string): [number, number, number] | null {
	if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
	return value.split('-').map(Number) as [number, number, number];
}

export function dayStart(value: string): number | null {
	const p = parts(value);
	return p ? new Date(p[0], p[1] - 1, p[2]).getTime() : null;
}

export function dayEnd(value: string): number | null {
	const p = parts(value);
	return p ? new Date(p[0], p[1] - 1, p[2] + 1).getTime() - 1 : null;
}
