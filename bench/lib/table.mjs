// The figures as a plain-text table for the terminal.

/** Three significant digits or so, without exponent notation. */
export function formatValue(value) {
	const abs = Math.abs(value);
	const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
	return value.toFixed(digits);
}

/** @param {{ name: string, value: number, unit: string, goal?: string }[]} figures */
export function formatTable(figures) {
	const rows = [
		['name', 'value', 'unit', 'goal'],
		...figures.map((f) => [f.name, formatValue(f.value), f.unit, f.goal ?? ''])
	];
	const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
	const line = (r) =>
		r
			.map((cell, i) => (i === 1 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
			.join('  ')
			.trimEnd();
	return [
		line(rows[0]),
		widths.map((w) => '-'.repeat(w)).join('  '),
		...rows.slice(1).map(line)
	].join('\n');
}
