import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DOCS_ASSETS_PATH, SWAGGER_UI_ASSETS, swaggerUiDir, swaggerUiPage } from './swagger-ui.js';

describe('swaggerUiPage', () => {
  const page = swaggerUiPage('/api/v1/openapi.json');

  it('loads Swagger UI from local files only, and reads the document from the server', () => {
    const urls = [...page.html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url.startsWith(`${DOCS_ASSETS_PATH}/`)).toBe(true);
    expect(page.html).not.toMatch(/https?:\/\//);
    expect(page.html).toContain('url: "/api/v1/openapi.json"');
    expect(page.html).toContain('validatorUrl: null');
  });

  it('allows its own inline script by hash, and nothing from elsewhere', () => {
    const script = /<script>([\s\S]*?)<\/script>/.exec(page.html)![1];
    const hash = createHash('sha256').update(script, 'utf8').digest('base64');
    expect(page.contentSecurityPolicy).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(page.contentSecurityPolicy).toContain("connect-src 'self'");
    expect(page.contentSecurityPolicy).toContain("default-src 'none'");
  });

  it('cannot be made to close its script element by the document URL', () => {
    expect(swaggerUiPage('/x</script><script>alert(1)//').html).not.toContain('</script><script>alert');
  });
});

describe('swaggerUiDir', () => {
  it('finds every asset the page loads', () => {
    for (const asset of SWAGGER_UI_ASSETS) expect(existsSync(join(swaggerUiDir(), asset))).toBe(true);
  });
});
