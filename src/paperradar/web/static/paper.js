// A paper's page: TeX in the abstract drawn by KaTeX, and the Cite buttons. Without script the
// TeX stays as written and the BibTeX and APA texts are on the page to copy by hand.
"use strict";

// KaTeX builds its output as DOM nodes from the text the page shows (escaped by the server), so
// markup in an abstract stays text; trust: false refuses \href, \url, \includegraphics and the like.
const MATH = {
  delimiters: [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
  ],
  throwOnError: false,
  trust: false,
  strict: "ignore",
  maxSize: 10,
  maxExpand: 1000,
};

function renderMath() {
  if (typeof renderMathInElement === "undefined") return;
  document.querySelectorAll("[data-math]").forEach((element) => renderMathInElement(element, MATH));
}

// Select the text so that Ctrl+C (⌘C) copies it: where the clipboard is closed to scripts
// (a site served over plain http to another machine) or the reader refused it.
function selectText(element) {
  const details = element.closest("details");
  if (details) details.open = true;
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

async function copy(button, status) {
  const source = document.getElementById(button.dataset.copy);
  const what = button.dataset.what;
  if (navigator.clipboard) {
    try {
      await navigator.clipboard.writeText(source.textContent);
      status.textContent = `${what} copied to the clipboard.`;
      return;
    } catch (refused) {
      // fall through to selecting it
    }
  }
  selectText(source);
  status.textContent = `The browser did not let the page copy: the ${what} is selected, press Ctrl+C (⌘C).`;
}

document.addEventListener("DOMContentLoaded", () => {
  renderMath();
  const status = document.querySelector(".cite [role=status]");
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    button.hidden = false; // hidden without script: the texts are on the page to copy by hand
    button.addEventListener("click", () => copy(button, status));
  });
});
