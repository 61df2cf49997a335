// Thin re-export: painting an element is its type's job (elements/). Import drawElement from
// elements/index.js and FONT_FAMILY from elements/lettering.js; this module goes once nothing
// imports it.

export { drawElement } from './elements/index.js';
export { FONT_FAMILY } from './elements/lettering.js';
