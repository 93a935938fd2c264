// The case page (bot/web/templates/case.html): after a field's input was refused, the page
// opens at that field (#note, #actor, #commitment: the form's action). Put the focus in it too,
// so a screen reader reads the line about it (aria-describedby). Without JS the page still
// opens there and the line is a role="alert" next to the field.
"use strict";
window.addEventListener("load", () => {
  const invalid = document.querySelector('[aria-invalid="true"]');
  if (invalid instanceof HTMLElement) invalid.focus({ preventScroll: true });
});
