import type { Attachment } from 'svelte/attachments';

/**
 * A box that scrolls sideways when its content is wider than the screen (a table on a phone).
 * While it does, it is a group named by `labelledBy` (the id of its heading) that the keyboard
 * can reach with Tab and scroll with the arrow keys; while it does not, it is a plain box and no
 * tab stop. WCAG 2.1.1 and axe's `scrollable-region-focusable`.
 */
export function scrollRegion(labelledBy: string): Attachment<HTMLElement> {
	return (box) => {
		const update = () => {
			if (box.scrollWidth > box.clientWidth) {
				box.tabIndex = 0;
				box.setAttribute('role', 'group');
				box.setAttribute('aria-labelledby', labelledBy);
			} else {
				box.removeAttribute('tabindex');
				box.removeAttribute('role');
				box.removeAttribute('aria-labelledby');
			}
		};
		// The box changes width with the window; its content with the rows in it.
		const observer = new ResizeObserver(update);
		observer.observe(box);
		for (const child of box.children) observer.observe(child);
		update();
		return () => observer.disconnect();
	};
}
