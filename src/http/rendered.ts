// Views of rows, rendered once per row object and variant (issue 9): the hot read routes (Toggl /me, the
// BookingBug company) answer the same document for the same row on every call, and building and serialising
// it again was several per cent of a request. The credential cache hands out the same row object until what
// it holds changes, and a changed row is read as a new object, so a view never outlives what it shows. Views
// are shared between requests: never change what one shows (v8 /me keeps the text of the current second in
// its view, remade from the view's own data when the second changes).

const rendered = new WeakMap<object, Map<string, unknown>>();

export function renderedFor<T>(row: object, variant: string, render: () => T): T {
  let views = rendered.get(row);
  if (views === undefined) rendered.set(row, (views = new Map()));
  let view = views.get(variant) as T | undefined;
  if (view === undefined) {
    view = render();
    views.set(variant, view);
  }
  return view;
}

/**
 * The variant name `${prefix} ${url}` for a route's views, made once per public URL rather than per request (a
 * string made anew is hashed anew by every Map lookup).
 */
export function variantOf(prefix: string): (url: string) => string {
  let lastUrl: string | undefined;
  let last = '';
  return (url) => {
    if (url !== lastUrl) {
      lastUrl = url;
      last = `${prefix} ${url}`;
    }
    return last;
  };
}
