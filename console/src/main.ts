// The console: reads its settings, signs its user in (or finishes a sign-in the provider answered),
// then shows the view the address names. One token in memory; every API call carries it; a 401
// ends the session and asks to sign in again.
import { createApi } from './api.js';
import type { App, View } from './app.js';
import { beginSignIn, finishSignIn } from './auth.js';
import { h, show, type Child } from './dom.js';
import { may, type Session } from './session.js';
import type { Settings } from './types.js';
import { button, note, problem } from './ui.js';
import { findingsView } from './views/findings.js';
import { imagesView, imageView } from './views/images.js';
import { queueView } from './views/queue.js';
import { runView, runsView } from './views/runs.js';

const NAV: readonly (readonly [string, string])[] = [
  ['#/queue', 'Approval queue'],
  ['#/images', 'Images'],
  ['#/runs', 'Reconcile runs'],
  ['#/findings', 'Findings'],
];

const ROUTES: readonly (readonly [RegExp, View, string])[] = [
  [/^#\/queue$/, queueView, 'Approval queue'],
  [/^#\/images$/, imagesView, 'Images'],
  [/^#\/images\/([^/]+)\/([^/]+)$/, imageView, 'Image'],
  [/^#\/runs$/, runsView, 'Reconcile runs'],
  [/^#\/runs\/([^/]+)$/, runView, 'Reconcile run'],
  [/^#\/findings$/, findingsView, 'Findings'],
];

const root = document.getElementById('app')!;
const TITLE = 'image-share-governor';

function signInScreen(settings: Settings | null, said?: Child): void {
  document.title = `Sign in — ${TITLE}`;
  const signIn = settings?.signIn;
  const status = h('div', {});
  show(
    root,
    h(
      'main',
      { class: 'sign-in' },
      h('h1', {}, TITLE),
      h('p', {}, 'Approvers decide share requests; auditors read images, audit trails, reconcile runs and findings.'),
      said ?? null,
      signIn
        ? h('p', {}, button('Sign in', () => beginSignIn(signIn, null).catch((err: unknown) => show(status, problem(err))), 'primary'), ' with ', h('code', {}, signIn.issuer))
        : settings
          ? note('Sign-in is not configured here: set CONSOLE_CLIENT_ID (and CONSOLE_ISSUER when JWT_ISSUER is not the identity provider) for the functions.')
          : null,
      status,
    ),
  );
}

function start(settings: Settings, session: Session): void {
  // Leaving (sign-out, or a 401) drops the token and stops this shell from following the address.
  const shell = new AbortController();
  let token: string | null = session.token;
  const leave = (said: Child): void => {
    shell.abort();
    token = null;
    signInScreen(settings, said);
  };
  const app: App = {
    api: createApi(
      () => token ?? '',
      () => leave(problem(new Error('Your session has ended (the token expired or was refused); sign in again.'))),
    ),
    session,
    settings,
    may: (operationId) => may(session, __OPERATION_ROLES__, operationId),
    now: () => Date.now(),
  };
  const links = NAV.map(([href, label]) => h('a', { href }, label));
  const main = h('main', { id: 'view', tabindex: '-1' });
  show(
    root,
    h(
      'header',
      { class: 'top' },
      h('span', { class: 'brand' }, TITLE),
      h('nav', {}, links),
      h(
        'span',
        { class: 'who' },
        h('span', { class: 'subject' }, session.subject),
        ' ',
        session.roles.length > 0 ? session.roles.join(', ') : 'no role of this service',
        ' ',
        button('Sign out', () => leave(note('Signed out. The token is gone from this page; the identity provider may still remember you.'))),
      ),
    ),
    main,
  );

  let rendering = 0;
  const route = async (): Promise<void> => {
    const turn = ++rendering;
    if (!location.hash) history.replaceState(null, '', `${location.pathname}#/queue`);
    const found = ROUTES.map(([pattern, view, title]) => ({ m: pattern.exec(location.hash), view, title })).find((r) => r.m);
    for (const a of links) a.toggleAttribute('aria-current', location.hash.startsWith(a.getAttribute('href')!));
    document.title = `${found?.title ?? 'Not found'} — ${TITLE}`;
    if (!found) return show(main, h('h1', {}, 'Not found'), note('The console has no such view.'));
    show(main, note('Loading…'));
    let content: Child;
    try {
      content = await found.view(app, found.m!.slice(1).map(decodeURIComponent));
    } catch (err) {
      content = problem(err);
    }
    if (turn === rendering && !shell.signal.aborted) show(main, content);
  };
  window.addEventListener('hashchange', () => void route(), { signal: shell.signal });
  // A click on the view already shown loads it again (the address does not change, so no hashchange).
  for (const a of links) a.addEventListener('click', () => a.getAttribute('href') === location.hash && void route(), { signal: shell.signal });
  void route();
}

async function boot(): Promise<void> {
  let settings: Settings;
  try {
    const res = await fetch(new URL('console/settings.json', document.baseURI), { cache: 'no-store', credentials: 'omit' });
    if (!res.ok) throw new Error(`the console's settings answered ${res.status}`);
    settings = (await res.json()) as Settings;
  } catch (err) {
    return signInScreen(null, problem(err));
  }
  if (!settings.signIn) return signInScreen(settings);
  try {
    const session = await finishSignIn(settings.signIn, settings.rolesClaim);
    if (session) return start(settings, session);
  } catch (err) {
    return signInScreen(settings, problem(err));
  }
  // A sign-in link (`?login_hint=<user>`) starts the sign-in at once.
  const hint = new URLSearchParams(location.search).get('login_hint');
  if (hint) {
    history.replaceState(null, '', `${location.pathname}${location.hash}`);
    return beginSignIn(settings.signIn, hint).catch((err: unknown) => signInScreen(settings, problem(err)));
  }
  signInScreen(settings);
}

void boot();
