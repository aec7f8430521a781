import { describe, expect, it } from 'vitest';
import { escapeHtml, html, Html, parseTemplate, render } from '../../src/site/render.js';

describe('site renderer', () => {
  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>Tom & Jerry</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;');
  });

  it('escapes values and inserts only Html fragments as they are', () => {
    const out = render('<p title="{{name}}">{{name}} {{frag}}</p>', { name: '<b>"A&B"</b>', frag: html`<i>${'<x>'}</i>` });
    expect(out).toBe('<p title="&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;">&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt; <i>&lt;x&gt;</i></p>');
  });

  it('has no raw form: triple braces do not bypass escaping', () => {
    expect(() => render('{{{name}}}', { name: '<b>' })).toThrow(/no raw insertion/);
    expect(() => render('{{& name}}', { name: '<b>' })).toThrow(/no raw insertion/);
  });

  it('iterates arrays, pushes objects, skips falsy values and empty lists', () => {
    const view = { items: [{ n: 'a' }, { n: 'b' }], none: [], flag: false, obj: { v: 'x' }, str: 'yes', top: 'T' };
    expect(render('{{#items}}[{{n}}{{top}}]{{/items}}', view)).toBe('[aT][bT]');
    expect(render('{{#none}}x{{/none}}{{^none}}empty{{/none}}', view)).toBe('empty');
    expect(render('{{#flag}}x{{/flag}}{{^flag}}no{{/flag}}', view)).toBe('no');
    expect(render('{{#obj}}{{v}}{{/obj}}', view)).toBe('x');
    expect(render('{{#str}}{{str}}!{{/str}}', view)).toBe('yes!');
    expect(render('{{#missing}}x{{/missing}}{{^missing}}m{{/missing}}', view)).toBe('m');
    expect(render('{{#items}}{{.}}{{/items}}', { items: ['<', '>'] })).toBe('&lt;&gt;');
    expect(render('{{obj.v}}', view)).toBe('x');
  });

  it('fails loudly on template mistakes', () => {
    expect(() => render('{{nope}}', {})).toThrow(/\{\{nope\}\} is not defined/);
    expect(() => render('{{list}}', { list: [1] })).toThrow(/use a section/);
    expect(() => parseTemplate('{{#a}}x')).toThrow(/never closed/);
    expect(() => parseTemplate('{{#a}}x{{/b}}')).toThrow(/closes/);
  });

  it('leaves no blank line where a block tag stood alone', () => {
    expect(render('<ul>\n{{#xs}}\n  <li>{{.}}</li>\n{{/xs}}\n</ul>\n{{! note }}\nend', { xs: ['1', '2'] })).toBe('<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\nend');
  });

  it('html`` escapes interpolations, keeps nested fragments and arrays', () => {
    const items = ['<1>', '2'].map((x) => html`<li>${x}</li>`);
    expect(String(html`<ul>${items}</ul>${null}${undefined}${false}`)).toBe('<ul><li>&lt;1&gt;</li><li>2</li></ul>');
    expect(Html.trusted('<br>').toString()).toBe('<br>');
  });
});
