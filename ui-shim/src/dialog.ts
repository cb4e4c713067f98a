//! Modal dialogs: a text prompt with suggestions, and a generic shell the other dialogs reuse.

import { h } from "./dom";

export interface Modal {
  root: HTMLElement;
  body: HTMLElement;
  footer: HTMLElement;
  close(): void;
}

export function openModal(title: string, onClose?: () => void): Modal {
  const body = h("div", { class: "modal-body" });
  const footer = h("div", { class: "modal-footer" });
  const box = h("div", { class: "modal", role: "dialog", "aria-label": title }, h("div", { class: "modal-title" }, title), body, footer);
  const root = h("div", { class: "modal-backdrop" }, box);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    root.remove();
    document.removeEventListener("keydown", onKey, true);
    onClose?.();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      e.preventDefault();
      close();
    }
  };
  document.addEventListener("keydown", onKey, true);
  root.addEventListener("mousedown", (e) => {
    if (e.target === root) close();
  });
  document.body.append(root);
  return { root, body, footer, close };
}

/** Asks for one line of text; resolves null when dismissed. */
export function promptText(opts: {
  title: string;
  label?: string;
  placeholder?: string;
  value?: string;
  suggestions?: string[];
  okLabel?: string;
  secret?: boolean;
}): Promise<string | null> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: string | null) => {
      if (done) return;
      done = true;
      resolve(v);
      modal.close();
    };
    const modal = openModal(opts.title, () => finish(null));
    const listId = `dl-${Math.random().toString(36).slice(2)}`;
    const input = h("input", {
      class: "input wide",
      type: opts.secret ? "password" : "text",
      placeholder: opts.placeholder ?? "",
      list: opts.suggestions?.length ? listId : undefined,
      autocomplete: "off",
      spellcheck: "false",
    });
    input.value = opts.value ?? "";
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && input.value.trim()) finish(input.value.trim());
    });
    if (opts.label) modal.body.append(h("label", { class: "field-label" }, opts.label));
    modal.body.append(input);
    if (opts.suggestions?.length) {
      const dl = h("datalist", { id: listId });
      for (const s of opts.suggestions) dl.append(h("option", { value: s }));
      modal.body.append(dl);
      const chips = h("div", { class: "chips" });
      for (const s of opts.suggestions.slice(0, 12)) {
        chips.append(h("button", { class: "chip", onclick: () => finish(s) }, s));
      }
      modal.body.append(chips);
    }
    modal.footer.append(
      h("button", { class: "btn", onclick: () => finish(null) }, "Cancel"),
      h("button", { class: "btn primary", onclick: () => input.value.trim() && finish(input.value.trim()) }, opts.okLabel ?? "OK"),
    );
    setTimeout(() => input.focus(), 0);
  });
}

/** A floating menu at the pointer; items with no action are drawn as section headers. Choosing
 *  an item or pressing Escape gives the focus back to where it was (the grid, whose keys must
 *  keep working); clicking elsewhere leaves it where that click put it. */
export function contextMenu(x: number, y: number, items: ({ label: string; hint?: string; action?: () => void; danger?: boolean } | "sep")[]): void {
  document.querySelector(".ctx-menu")?.remove();
  const menu = h("div", { class: "ctx-menu", role: "menu" });
  const back = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;
  const close = (refocus: boolean) => {
    menu.remove();
    document.removeEventListener("mousedown", away, true);
    document.removeEventListener("keydown", away, true);
    if (refocus && back?.isConnected) back.focus({ preventScroll: true });
  };
  const away = (e: Event) => {
    if (e instanceof KeyboardEvent && e.key !== "Escape") return;
    if (e.target instanceof Node && menu.contains(e.target)) return;
    close(e instanceof KeyboardEvent);
  };
  for (const it of items) {
    if (it === "sep") {
      menu.append(h("div", { class: "ctx-sep" }));
      continue;
    }
    if (!it.action) {
      menu.append(h("div", { class: "ctx-head" }, it.label));
      continue;
    }
    const act = it.action;
    menu.append(
      h(
        "button",
        {
          class: `ctx-item${it.danger ? " danger" : ""}`,
          role: "menuitem",
          onclick: () => {
            close(true);
            act();
          },
        },
        h("span", {}, it.label),
        it.hint ? h("kbd", {}, it.hint) : null,
      ),
    );
  }
  document.body.append(menu);
  const r = menu.getBoundingClientRect();
  menu.style.left = `${Math.min(x, window.innerWidth - r.width - 4)}px`;
  menu.style.top = `${Math.min(y, window.innerHeight - r.height - 4)}px`;
  setTimeout(() => {
    if (!menu.isConnected) return;
    document.addEventListener("mousedown", away, true);
    document.addEventListener("keydown", away, true);
  }, 0);
}
