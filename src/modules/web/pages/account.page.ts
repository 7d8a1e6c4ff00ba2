import { html } from '../html.js';
import { layout, type Viewer } from '../layout.js';

/** Where a sign-in returns to: a path of this site only (never `//elsewhere` or a URL). */
export function localPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s\\]*$/.test(next) ? next : '/';
}

export function loginPage(viewer: Viewer, next: string): string {
  const content = html`<h1>Sign in</h1>
<p class="lead">Sieve accounts sign in with a token: the one <code>sieve start</code> printed, the one you got when you registered, or one from <code>sieve tokens create</code>.</p>
<form class="stack" method="post" action="/login">
  <input type="hidden" name="next" value="${next}">
  <div><label for="token">Token</label><br><span class="hint" id="token-hint">Starts with <code>sieve_</code>. This browser keeps a 7-day session of its own, never the token itself.</span>
  <input type="password" id="token" name="token" required autocomplete="current-password" aria-describedby="token-hint" spellcheck="false"></div>
  <div><button type="submit">Sign in</button></div>
</form>
<p>No account yet? <a href="/register">Register</a>.</p>`;
  return layout(viewer, 'Sign in', content);
}

export function registerPage(viewer: Viewer): string {
  const content = html`<h1>Register</h1>
<p class="lead">A participant account: you can join challenges and submit. You get a token for the API and the CLI, shown once.</p>
<form class="stack" method="post" action="/register">
  <div><label for="name">Name</label><br><span class="hint" id="name-hint">Shown on leaderboards. Letters, digits and <code>. _ -</code>.</span>
  <input type="text" id="name" name="name" required maxlength="64" autocomplete="username" aria-describedby="name-hint"></div>
  <div><button type="submit">Register</button></div>
</form>
<p>Already registered? <a href="/login">Sign in</a>.</p>`;
  return layout(viewer, 'Register', content);
}

/** After registering: the account's API token, shown this once. */
export function registeredPage(viewer: Viewer, token: string): string {
  const content = html`<h1>Welcome, ${viewer.principal?.name}</h1>
<div class="note" role="status"><p><strong>Your API token, shown this once.</strong> Keep it somewhere safe: the CLI and scripts use it, and you can sign in here with it.</p>
<pre><code>${token}</code></pre>
<p>With the CLI: <code>npx sieve login --url</code> and this site's address; it asks for the token.</p></div>
<p><a class="button" href="/">Go to the challenges</a></p>`;
  return layout(viewer, 'Registered', content);
}
