// Text: a click asks the page to open an editor at that point. The page sends the element
// when the editor is committed (text is always rendered as text, never as HTML).

export function textTool() {
  return {
    name: 'text',
    active: false,
    preview: null,
    down(ctx, pt) {
      return [{ op: 'text', x: pt.x, y: pt.y }];
    },
    move() {
      return [];
    },
    up() {
      return [];
    },
    cancel() {
      return [];
    },
  };
}
