import { html, trusted } from './html.js';

describe('html', () => {
  it.each([
    ['markup', '<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['an attribute break-out', '" onmouseover="x', '&quot; onmouseover=&quot;x'],
    ['single quotes and ampersands', "Tom & Jerry's", 'Tom &amp; Jerry&#39;s'],
    ['a number', 0.5, '0.5'],
  ])('escapes %s', (_what, value, expected) => {
    expect(html`<p title="${value}">${value}</p>`.value).toBe(`<p title="${expected}">${expected}</p>`);
  });

  it('renders nothing for false, null and undefined, so conditions can be inlined', () => {
    expect(html`a${false}b${null}c${undefined}d`.value).toBe('abcd');
    const shown = (when: boolean) => html`${when && html`<b>${String(when)}</b>`}`.value;
    expect([shown(false), shown(true)]).toEqual(['', '<b>true</b>']);
  });

  it('keeps nested html as markup and escapes every item of a list', () => {
    const items = ['<a>', 'b&c'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>`.value).toBe('<ul><li>&lt;a&gt;</li><li>b&amp;c</li></ul>');
  });

  it('passes markup marked as trusted unchanged', () => {
    expect(html`<figure>${trusted('<svg role="img"></svg>')}</figure>`.value).toBe('<figure><svg role="img"></svg></figure>');
  });
});
