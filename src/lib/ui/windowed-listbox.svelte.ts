/**
 * A listbox that renders only the rows in view (fixed row height), with one tab stop: arrows,
 * Page Up/Down, Home and End move, Enter and Space pick (WAI-ARIA listbox with
 * aria-activedescendant). The state and keyboard behind the fleet and the history lists; each
 * list keeps its own markup and columns.
 */
export class WindowedListbox<T> {
	readonly #items: () => readonly T[];
	readonly #pick: (item: T) => void;
	readonly row: number;
	readonly overscan: number;
	viewport = $state<HTMLDivElement>();
	scrollTop = $state(0);
	height = $state(520);
	#active = $state(0);

	constructor(options: {
		items: () => readonly T[];
		pick: (item: T) => void;
		row: number;
		overscan?: number;
	}) {
		this.#items = options.items;
		this.#pick = options.pick;
		this.row = options.row;
		this.overscan = options.overscan ?? 8;
	}

	// Plain getters over the state above: cheap arithmetic, read where the template needs it.
	/** A shorter list (after filtering) clamps the offset at once, before the scroll event. */
	get top() {
		return Math.min(this.scrollTop, Math.max(0, this.#items().length * this.row - this.height));
	}
	get start() {
		return Math.max(0, Math.floor(this.top / this.row) - this.overscan);
	}
	get end() {
		return Math.min(
			this.#items().length,
			Math.ceil((this.top + this.height) / this.row) + this.overscan
		);
	}
	get rows() {
		return this.#items().slice(this.start, this.end);
	}
	get current() {
		return Math.min(this.#active, Math.max(0, this.#items().length - 1));
	}
	/** Whether the active row is rendered (aria-activedescendant may only name a rendered row). */
	get activeRendered() {
		return this.#items().length > 0 && this.current >= this.start && this.current < this.end;
	}

	readonly onscroll = () => {
		this.scrollTop = this.viewport?.scrollTop ?? 0;
	};

	/** A click on row `index`. */
	click(index: number) {
		this.#active = index;
		const item = this.#items()[index];
		if (item !== undefined) this.#pick(item);
	}

	moveTo(index: number) {
		this.#active = Math.max(0, Math.min(this.#items().length - 1, index));
		const viewport = this.viewport;
		if (!viewport) return;
		const y = this.#active * this.row;
		if (y < viewport.scrollTop) viewport.scrollTop = y;
		else if (y + this.row > viewport.scrollTop + this.height)
			viewport.scrollTop = y + this.row - this.height;
		this.scrollTop = viewport.scrollTop;
	}

	readonly keydown = (event: KeyboardEvent) => {
		const current = this.current;
		const page = Math.max(1, Math.floor(this.height / this.row) - 1);
		const moves: Record<string, number> = {
			ArrowDown: current + 1,
			ArrowUp: current - 1,
			PageDown: current + page,
			PageUp: current - page,
			Home: 0,
			End: this.#items().length - 1
		};
		const next = moves[event.key];
		if (next !== undefined) {
			event.preventDefault();
			this.moveTo(next);
		} else if (event.key === 'Enter' || event.key === ' ') {
			const item = this.#items()[current];
			if (item !== undefined) {
				event.preventDefault();
				this.#pick(item);
			}
		}
	};
}
