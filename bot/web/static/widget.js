/* Payment-help chat widget. Plain ES2017, no dependencies. Protocol: docs/widget-protocol.md.
 * One file on purpose (one <script> tag, no build step); its sections, in order:
 * strings · DOM helpers · launcher (a shop's page) · what may rest in storage · storage · build the UI · state · language ·
 * open / close (embedded) · compose · socket · start */
(function () {
  'use strict';
  if (document.getElementById('cb-chat')) return;

  var me = document.currentScript;
  if (!me) {
    var all = document.getElementsByTagName('script');
    for (var k = all.length - 1; k >= 0; k--) {
      if (/\/widget\.js$/.test((all[k].src || '').split(/[?#]/)[0])) { me = all[k]; break; }
    }
  }
  if (!me || !me.src || !window.WebSocket) return;

  const SRC = new URL(me.src, location.href);
  const ORIGIN = SRC.origin;
  const WS_URL = (SRC.protocol === 'https:' ? 'wss://' : 'ws://') + SRC.host + '/ws';
  // The chat itself runs only on the gateway's own pages: full page (data-mode="page": the chat
  // page, QR landing pages) or inside a shop's iframe (data-mode="embed", the page /embed).
  // Anywhere else (a shop's page) this script is the launcher.
  const HOME = location.origin === ORIGIN;
  const MODE = me.getAttribute('data-mode');
  const EMBED = HOME && MODE === 'embed' && window.parent !== window;
  const CHAT = EMBED || (HOME && (MODE === 'page' || MODE === 'embed'));
  const PAGE = CHAT && !EMBED;
  const ARGS = new URLSearchParams(location.search);
  const NS = 'cbchat:' + ORIGIN + ':';
  const SVGNS = 'http://www.w3.org/2000/svg';

  /* ---------- strings ---------- */
  // Both languages' texts, from bot/text/customer/*.json: the gateway writes them in when it loads this file.
  const S = /*@CUSTOMER_TEXTS@*/null;
  const isLang = (l) => l === 'zh' || l === 'en';

  /* ---------- DOM helpers ---------- */
  const h = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  };
  const attr = (e, n, v) => e.setAttribute(n, v);
  const icon = (d, cls) => {
    const s = document.createElementNS(SVGNS, 'svg');
    const p = document.createElementNS(SVGNS, 'path');
    attr(s, 'viewBox', '0 0 24 24'); attr(s, 'aria-hidden', 'true'); attr(s, 'focusable', 'false');
    attr(s, 'class', 'ic ' + (cls || ''));
    attr(p, 'd', d);
    s.appendChild(p);
    return s;
  };
  const I_CHAT = 'M6 4h12a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9.5L5 20.5V17.9A2 2 0 0 1 4 16V6a2 2 0 0 1 2-2z';
  const I_X = 'M6 6l12 12M18 6L6 18';
  const I_COPY = 'M9 9h10v11H9zM5 15V4h10';

  // Text with http(s) links; everything is text nodes except checked <a> elements.
  const URL_RE = /https?:\/\/[^\s<>"'\u3000-\u303f\uff00-\uffef]+/gi;
  const rich = (el, text) => {
    text = String(text);
    let i = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text))) {
      const u = m[0].replace(/[.,;:!?'")\]}]+$/, '');
      let a = null;
      try {
        const p = new URL(u);
        if (p.protocol === 'http:' || p.protocol === 'https:') {
          a = h('a', null, u);
          a.href = p.href; a.target = '_blank'; a.rel = 'noopener noreferrer';
        }
      } catch (e) { /* not a URL: stays text */ }
      if (!a) continue;
      el.appendChild(document.createTextNode(text.slice(i, m.index)));
      el.appendChild(a);
      i = m.index + u.length;
      URL_RE.lastIndex = i;
    }
    el.appendChild(document.createTextNode(text.slice(i)));
    return el;
  };

  const fmtDate = (s) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(s));
    if (!m) return String(s);
    const y = +m[1], mo = +m[2], d = +m[3];
    const wd = new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
    return lang === 'zh'
      ? y + '年' + mo + '月' + d + '日（周' + '日一二三四五六'[wd] + '）'
      : 'Sun Mon Tue Wed Thu Fri Sat'.split(' ')[wd] + ', ' + d + ' ' + 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ')[mo - 1] + ' ' + y;
  };

  /* ---------- launcher (a shop's page) ---------- */
  // Everything the chat keeps (the conversation token, unsent messages, the draft) is kept in
  // localStorage, so the chat runs only on the gateway's own origin: on a shop's page this script
  // adds a launcher button and an iframe of the gateway's /embed page, whose storage and DOM the
  // shop's own scripts cannot read. The two speak through postMessage, each checking the other's
  // window and origin; nothing said there is secret (open or closed, unread count, language).
  if (!CHAT) {
    // What versions of the widget that ran on the shop's page left in its storage (on the gateway's
    // own pages, such as /demo, that storage is the chat's).
    if (!HOME) {
      try {
        Object.keys(localStorage).filter((key) => key.indexOf(NS) === 0).forEach((key) => localStorage.removeItem(key));
      } catch (e) { /* blocked */ }
    }
    let lang = me.getAttribute('data-lang');
    if (!isLang(lang)) lang = /^zh/i.test(navigator.language || '') ? 'zh' : 'en';
    let isOpen = false, unread = 0, listening = false, pending = null, cssOk = false;

    const host = h('div');
    host.id = 'cb-chat';
    attr(host, 'data-mode', 'floating');
    const shadow = host.attachShadow({ mode: 'open' });
    const link = h('link');
    link.rel = 'stylesheet';
    link.href = ORIGIN + '/widget.css';
    const root = h('div', 'root floating');
    root.hidden = true; // until the stylesheet is in and the chat in the frame answers
    const launcher = h('button', 'launcher');
    launcher.type = 'button';
    attr(launcher, 'aria-controls', 'cb-frame');
    const badge = h('span', 'badge');
    attr(badge, 'aria-hidden', 'true');
    badge.hidden = true;
    launcher.append(icon(I_CHAT, 'i-open'), icon(I_X, 'line i-close'), badge);
    const frame = h('iframe', 'frame');
    frame.id = 'cb-frame';
    frame.hidden = true;
    attr(frame, 'allow', 'clipboard-write');
    frame.referrerPolicy = 'no-referrer';
    const params = new URLSearchParams({ host: location.origin });
    if (isLang(me.getAttribute('data-lang'))) params.set('lang', lang);
    frame.src = ORIGIN + '/embed?' + params;
    root.append(launcher, frame);
    shadow.append(link, root);

    const label = () => {
      const t = S[lang];
      attr(launcher, 'aria-label', isOpen ? t.close : t.open + (unread ? t.unread.replace('{n}', unread) : ''));
      attr(launcher, 'aria-expanded', String(isOpen));
      badge.textContent = unread > 99 ? '99+' : String(unread);
      badge.hidden = !unread;
      frame.title = t.title;
    };
    const show = (v) => {
      isOpen = v;
      frame.hidden = !v;
      root.classList.toggle('is-open', v);
      if (v) unread = 0;
      label();
    };
    const setRootShown = () => { root.hidden = !(cssOk && listening); };
    const tell = (command) => frame.contentWindow.postMessage(command, ORIGIN);
    const setOpen = (v, focus) => {
      show(v);
      if (focus) (v ? frame : launcher).focus();
      const command = { cbchat: v ? 'open' : 'close', focus: !!focus };
      if (listening) tell(command);
      else pending = command; // asked before the chat in the frame listens
    };

    window.addEventListener('message', (ev) => {
      const d = ev.data;
      if (ev.source !== frame.contentWindow || ev.origin !== ORIGIN || !d || d.cbchat !== 'state') return;
      if (isLang(d.lang)) lang = d.lang;
      if (!listening) {
        listening = true;
        setRootShown();
        if (pending) { tell(pending); pending = null; label(); return; }
      }
      unread = Math.max(0, Math.min(+d.unread || 0, 999));
      show(!!d.open);
      if (d.ready) attr(host, 'data-ready', 'true');
      if (d.focus) launcher.focus(); // the customer closed the chat inside the frame
    });
    launcher.addEventListener('click', () => setOpen(!isOpen, true));
    launcher.addEventListener('keydown', (e) => {
      if ((e.key === 'Escape' || e.key === 'Esc') && isOpen) { e.preventDefault(); setOpen(false, true); }
    });

    const cssDone = () => { cssOk = true; setRootShown(); };
    link.addEventListener('load', cssDone);
    link.addEventListener('error', cssDone);
    setTimeout(cssDone, 5000);
    label();

    window.CBChat = { open: () => setOpen(true, true), close: () => setOpen(false, true) };
    const mountLauncher = () => document.body.appendChild(host);
    if (document.body) mountLauncher();
    else document.addEventListener('DOMContentLoaded', mountLauncher);
    return;
  }

  /* ---------- what may rest in storage ---------- */
  // Unsent text (the outbox, the draft) waits in localStorage, so it is written there with card
  // numbers, PINs and security codes masked as the gateway masks them (bot/text/redaction.py), and
  // more: every run of 13 or more digits, Luhn-valid or not, and the 3–4 digit groups that follow
  // a masked number (its expiry may sit between). A stored message is what a reload sends.
  const MASK = '[***]';
  const SEP = '[\\s.\\-\\u2010-\\u2015\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff]';
  const DIGIT_RUN = new RegExp('[0-9](?:' + SEP + '{0,3}[0-9])*', 'g');
  const CN = '[0-9零〇一二三四五六七八九幺两]';
  const SECRET = new RegExp(
    '((?:^|[^a-z])(?:pin|passcode|password|pwd|cvv2?|cvc2?|cvn2?|security\\s*code|card\\s*verification' +
    '|(?:3|three)[\\s-]*digits?\\s+(?:code\\s+)?(?:on|at)\\s+the\\s+back|(?:code|number)\\s+on\\s+the\\s+back)' +
    '|密\\s*码|卡密|口令|安全码|校验码|验证码|(?:背面|反面|后面|背后)(?:的|那|三位数?|3位数?|数字|号码)*)' +
    '([^0-9零〇一二三四五六七八九幺两]{0,16}?)(' + CN + '(?:[ \\-]?' + CN + '){1,7})(?!' + CN + ')',
    'gi'
  );
  const AFTER_MASK = /\[\*\*\*\][^A-Za-z\u3400-\u9fff]{1,24}/g;
  const masked = (text) => String(text)
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(DIGIT_RUN, (run) => (run.replace(/[^0-9]/g, '').length >= 13 ? MASK : run))
    .replace(SECRET, (m, label, gap) => label + gap + MASK)
    .replace(AFTER_MASK, (tail) => tail.slice(0, 5) + tail.slice(5).replace(/(^|[^0-9])[0-9]{3,4}(?![0-9])/g, '$1' + MASK));

  /* ---------- storage (localStorage, in-memory fallback) ---------- */
  const mem = {};
  const load = (key) => {
    try { const v = localStorage.getItem(NS + key); if (v !== null) return v; } catch (e) { /* blocked */ }
    return key in mem ? mem[key] : null;
  };
  const save = (key, v) => {
    mem[key] = v;
    try { if (v == null) localStorage.removeItem(NS + key); else localStorage.setItem(NS + key, v); } catch (e) { /* blocked */ }
  };
  let outbox = [];
  try { outbox = JSON.parse(load('outbox') || '[]'); } catch (e) { /* corrupt */ }
  if (!Array.isArray(outbox)) outbox = [];
  // What waits in storage is masked (see "what may rest in storage"); the messages in memory, as
  // typed, are what this page sends, and the gateway masks them again.
  const saveOutbox = () => save('outbox', outbox.length
    ? JSON.stringify(outbox.map((x) => Object.assign({}, x, { text: masked(x.text) })))
    : null);

  // A merchant's QR code opens /Q/<token>. A code this browser has not used yet starts a new
  // conversation with the facts it stands for; the gateway checks the token, never the widget.
  const qrMatch = PAGE ? /^\/q\/([a-z2-7]{26})\/?$/i.exec(location.pathname) : null;
  const qrToken = qrMatch ? qrMatch[1].toUpperCase() : null;
  let scanning = !!qrToken && load('qr') !== qrToken;
  if (scanning) { outbox = []; saveOutbox(); }

  let lang = EMBED ? ARGS.get('lang') : me.getAttribute('data-lang');
  if (!isLang(lang)) lang = load('lang');
  if (!isLang(lang)) lang = /^zh/i.test(navigator.language || '') ? 'zh' : 'en';
  const T = () => S[lang];

  // A message's id, in letters only: the gateway masks digits that could be a card number wherever
  // they enter, an id included, and a masked id can no longer be found again.
  const ID_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEF';
  const uid = () => {
    const b = new Uint8Array(24);
    const c = window.crypto;
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (let i = 0; i < b.length; i++) b[i] = Math.random() * 256;
    return Array.prototype.map.call(b, (n) => ID_LETTERS[n & 31]).join('');
  };

  /* ---------- build the UI ---------- */
  const host = h('div');
  host.id = 'cb-chat';
  attr(host, 'data-mode', PAGE ? 'page' : 'embed');
  const shadow = host.attachShadow({ mode: 'open' });
  const link = h('link');
  link.rel = 'stylesheet';
  link.href = ORIGIN + '/widget.css';
  const root = h('div', 'root ' + (PAGE ? 'page' : 'embed'));
  root.hidden = true; // until the stylesheet is in

  const panel = h('section', 'panel');
  panel.id = 'cb-panel';
  attr(panel, 'aria-labelledby', 'cb-title');
  const head = h('header', 'head');
  const titleEl = h('h2', 'title');
  titleEl.id = 'cb-title';
  const langBtn = h('button', 'lang-toggle');
  langBtn.type = 'button';
  head.append(titleEl, langBtn);
  let closeBtn = null;
  if (!PAGE) {
    closeBtn = h('button', 'close');
    closeBtn.type = 'button';
    closeBtn.appendChild(icon(I_X, 'line'));
    head.appendChild(closeBtn);
  }
  const statusEl = h('div', 'status');
  attr(statusEl, 'role', 'status');
  const scroller = h('div', 'scroll');
  const intro = h('p', 'intro');
  intro.hidden = !!qrToken; // a scanned code's conversation opens with the shop's own greeting
  const privacy = h('p', 'privacy'); // how long the chat is kept, and how to ask for a copy or deletion
  const log = h('div', 'log');
  attr(log, 'role', 'log');
  attr(log, 'aria-live', 'polite');
  const typing = h('div', 'typing');
  attr(typing, 'role', 'img');
  typing.append(h('span'), h('span'), h('span'));
  typing.hidden = true;
  scroller.append(intro, privacy, log, typing);
  const form = h('form', 'compose');
  const ta = h('textarea', 'input');
  ta.rows = 1;
  ta.maxLength = 2000;
  attr(ta, 'enterkeyhint', 'send');
  const sendBtn = h('button', 'send');
  sendBtn.type = 'submit';
  form.append(ta, sendBtn);
  panel.append(head, statusEl, scroller, form);

  root.appendChild(panel);
  shadow.append(link, root);

  /* ---------- state ---------- */
  let entries = [];      // {k:'u'|'b'|'n', ...}
  let gen = 0;           // welcome generation (notices survive one re-render)
  let ws = null, welcomed = false, everWelcomed = false, sent = new Set();
  let attempt = 0, timer = 0, statusTimer = 0, statusKey = '';
  let cssOk = false, readyDone = false;
  let isOpen = PAGE, unread = 0;

  const nearEnd = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const toEnd = () => { scroller.scrollTop = scroller.scrollHeight; };

  const setMark = (e) => {
    if (!e.mark) return;
    e.mark.textContent = e.pending ? (welcomed && navigator.onLine !== false ? T().sending : T().waiting) : '';
    e.mark.hidden = !e.pending;
    e.el.classList.toggle('pending', !!e.pending);
  };
  const updMarks = () => entries.forEach(setMark);

  const copy = (text, btn, target) => {
    const done = (ok) => {
      if (!ok) {
        const sel = window.getSelection && window.getSelection();
        if (sel) sel.selectAllChildren(target);
        return;
      }
      btn.lastChild.textContent = T().copied;
      attr(btn, 'aria-label', T().copied);
      setTimeout(() => { btn.lastChild.textContent = T().copy; attr(btn, 'aria-label', T().copyName); }, 2000);
    };
    const fallback = () => {
      const t = h('textarea', 'clip');
      t.value = text;
      attr(t, 'readonly', '');
      shadow.appendChild(t);
      t.select();
      t.setSelectionRange(0, text.length);
      let ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { /* unsupported */ }
      t.remove();
      btn.focus();
      return ok;
    };
    const c = navigator.clipboard;
    if (c && c.writeText) c.writeText(text).then(() => done(true), () => done(fallback()));
    else done(fallback());
  };

  const card = (c) => {
    const o = T().outcomes[c.outcome];
    const title = o ? o[0] : T().other;
    const box = h('div', 'case-card o-' + (o ? c.outcome : 'other'));
    attr(box, 'role', 'group');
    attr(box, 'aria-label', T().card + ': ' + title);
    box.appendChild(h('p', 'case-title', title));
    if (o) box.appendChild(h('p', 'case-text', o[1]));
    const dl = h('dl', 'case-facts');
    const row = (label, val, cls) => {
      const dd = h('dd', cls);
      dl.append(h('dt', null, label), dd);
      if (val != null) dd.textContent = val;
      return dd;
    };
    if (c.ticket_id) {
      const dd = row(T().ticket, null, 'case-ticket-row');
      const tk = h('code', 'case-ticket', String(c.ticket_id));
      const b = h('button', 'copy');
      b.type = 'button';
      attr(b, 'aria-label', T().copyName);
      b.append(icon(I_COPY, 'line'), h('span', null, T().copy));
      b.addEventListener('click', () => copy(String(c.ticket_id), b, tk));
      dd.append(tk, b);
    }
    if (c.transaction_id) row(T().txn, String(c.transaction_id), 'case-txn');
    if (c.expected_by) row(T().by, fmtDate(c.expected_by), 'case-date');
    if (dl.firstChild) box.appendChild(dl);
    return box;
  };

  const isCase = (c) => c && typeof c === 'object' && c.type === 'case_result';

  const build = (e) => {
    let el;
    if (e.k === 'u') {
      el = h('div', 'msg msg-user');
      el.appendChild(rich(h('div', 'bubble'), e.text));
      e.mark = h('span', 'mark');
      el.appendChild(e.mark);
      e.el = el;
      setMark(e);
    } else if (e.k === 'n') {
      el = rich(h('div', 'msg msg-notice'), e.text);
    } else if (e.k === 'a') {
      // A person wrote this: say so, visibly. Text only (textContent), never markup.
      el = h('div', 'msg msg-bot msg-agent');
      el.appendChild(h('span', 'mark agent-label', '人工客服 · Support agent ' + e.name));
      el.appendChild(h('div', 'bubble', e.text));
    } else {
      const m = e.m;
      el = h('div', 'msg msg-bot');
      if (m.text) el.appendChild(rich(h('div', 'bubble'), m.text));
      if (isCase(m.custom)) el.appendChild(e.card = card(m.custom));
      if (Array.isArray(m.buttons) && m.buttons.length) {
        const bx = h('div', 'buttons');
        m.buttons.forEach((b, i) => {
          if (!b || b.title == null) return;
          const btn = h('button', 'choice' + (e.chosen === i ? ' chosen' : ''), String(b.title));
          btn.type = 'button';
          btn.disabled = !!e.used;
          btn.addEventListener('click', (ev) => {
            if (e.used) return;
            e.chosen = i;
            btn.classList.add('chosen');
            send(String(b.payload != null ? b.payload : b.title), String(b.title));
            if (ev.detail === 0) ta.focus(); // keyboard activation: keep focus in the panel
          });
          bx.appendChild(btn);
        });
        el.appendChild(bx);
      }
    }
    e.el = el;
    return el;
  };

  // A bot message's buttons are live only while no user message follows it.
  const refreshButtons = () => {
    let later = false;
    for (let i = entries.length - 1; i >= 0; i--) {
      const x = entries[i];
      if (x.k === 'u') later = true;
      else if (x.k === 'b' && x.used !== later) {
        x.used = later;
        if (!later) x.chosen = -1;
        if (x.el) x.el.querySelectorAll('.choice').forEach((b) => { b.disabled = later; if (!later) b.classList.remove('chosen'); });
      }
    }
  };

  const add = (e, quiet) => {
    entries.push(e);
    if (e.k === 'u') refreshButtons();
    if (quiet) return;
    const stick = e.k === 'u' || nearEnd();
    log.appendChild(build(e));
    if (stick) toEnd();
  };

  const renderAll = () => {
    attr(log, 'aria-busy', 'true');
    log.textContent = '';
    entries.forEach((e) => log.appendChild(build(e)));
    log.removeAttribute('aria-busy');
    toEnd();
  };

  const notice = (text) => {
    const l = entries[entries.length - 1];
    if (text && !(l && l.k === 'n' && l.text === String(text))) add({ k: 'n', text: String(text), gen: gen });
  };

  const hasContent = (m) => !!(m.text || isCase(m.custom) || (Array.isArray(m.buttons) && m.buttons.length));
  const agentEntry = (x) => ({ k: 'a', text: String(x.text || ''), name: String(x.name || '') });
  const botMsg = (m) => {
    if (!hasContent(m)) return false;
    add({ k: 'b', m: m, used: false, chosen: -1 });
    return true;
  };

  /* ---------- language ---------- */
  const setStatus = (key) => {
    statusKey = key;
    statusEl.textContent = key ? T()[key] : '';
    root.classList.toggle('offline', key === 'connecting' || key === 'reconnecting');
  };

  // The launcher on the shop's page shows what the chat in this frame tells it; `focus`: the
  // customer closed the chat here, so the launcher takes the focus back.
  const HOST = (() => {
    try { const o = new URL(ARGS.get('host')).origin; return o === ARGS.get('host') ? o : null; } catch (e) { return null; }
  })();
  let started = false;
  const tellHost = (focus) => {
    if (!started || !HOST) return;
    const state = { cbchat: 'state', open: isOpen, unread: unread, lang: lang, ready: readyDone, focus: !!focus };
    window.parent.postMessage(state, HOST);
  };

  const localize = () => {
    const t = T();
    attr(root, 'lang', lang);
    attr(host, 'lang', lang);
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    titleEl.textContent = t.title;
    intro.textContent = t.intro;
    privacy.textContent = t.privacy;
    ta.placeholder = t.ph;
    attr(ta, 'aria-label', t.input);
    sendBtn.textContent = t.send;
    attr(sendBtn, 'aria-label', t.send);
    langBtn.textContent = t.toggle;
    attr(langBtn, 'aria-label', t.toggleName);
    if (closeBtn) attr(closeBtn, 'aria-label', t.close);
    attr(typing, 'aria-label', t.typing);
    setStatus(statusKey);
    tellHost();
    updMarks();
    entries.forEach((e) => {
      if (e.card && e.card.parentNode) {
        const n = card(e.m.custom);
        e.card.parentNode.replaceChild(n, e.card);
        e.card = n;
      }
    });
  };

  // The assistant answers in the language the customer writes; the widget's own words and the case
  // card follow it, unless the customer picked a language with the toggle.
  const scriptOf = (text) => {
    const han = (String(text || '').match(/[\u3400-\u9fff]/g) || []).length;
    const latin = (String(text || '').match(/[A-Za-z]/g) || []).length;
    if (!han && !latin) return null;
    return han * 2 > latin ? 'zh' : 'en';
  };
  const followConversation = (text) => {
    const spoken = scriptOf(text);
    if (!spoken || spoken === lang || load('lang') === lang) return;
    lang = spoken;
    localize();
  };

  langBtn.addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    save('lang', lang);
    localize();
  });

  /* ---------- open / close (embedded) ---------- */
  // The shop's page shows or hides this frame; the chat keeps whether it is open (a reload of the
  // shop's page opens it again) and counts what arrives while it is closed.
  const setOpen = (v, focus) => {
    if (PAGE) return;
    isOpen = v;
    root.classList.toggle('is-open', v);
    save('open', v ? '1' : null);
    if (v) {
      unread = 0;
      autosize();
      toEnd();
      if (focus) ta.focus();
      if (!ws) connect();
    }
    tellHost(!v && focus);
  };
  if (EMBED) {
    closeBtn.addEventListener('click', () => setOpen(false, true));
    root.addEventListener('keydown', (e) => {
      if ((e.key === 'Escape' || e.key === 'Esc') && isOpen) { e.preventDefault(); setOpen(false, true); }
    });
    // The frame is laid out only while the shop's page shows it: measure again when it appears.
    let shownHeight = 0;
    window.addEventListener('resize', () => {
      autosize();
      if (!shownHeight) toEnd();
      shownHeight = window.innerHeight;
    });
    window.addEventListener('message', (ev) => {
      const d = ev.data;
      if (ev.source !== window.parent || ev.origin !== HOST || !d) return;
      if (d.cbchat === 'open' || d.cbchat === 'close') setOpen(d.cbchat === 'open', d.focus === true && d.cbchat === 'open');
    });
  }

  /* ---------- compose ---------- */
  const autosize = () => {
    ta.style.height = 'auto';
    ta.style.height = Math.min(ta.scrollHeight + 2, 140) + 'px';
  };
  const saveDraft = () => save('draft', ta.value ? masked(ta.value) : null);
  ta.value = load('draft') || '';
  ta.addEventListener('input', () => { saveDraft(); autosize(); });

  let composing = false;
  ta.addEventListener('compositionstart', () => { composing = true; });
  ta.addEventListener('compositionend', () => { setTimeout(() => { composing = false; }, 0); });
  ta.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || composing || e.keyCode === 229) return;
    e.preventDefault();
    submit();
  });
  // Keep the keyboard up on phones when the send button is tapped.
  sendBtn.addEventListener('mousedown', (e) => { if (shadow.activeElement === ta) e.preventDefault(); });
  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });

  const submit = () => {
    const t = ta.value.trim();
    if (!t) return;
    ta.value = '';
    saveDraft();
    autosize();
    send(t);
  };

  const send = (text, display) => {
    const item = { id: uid(), text: text };
    if (display) item.display = display;
    outbox.push(item);
    saveOutbox();
    add({ k: 'u', id: item.id, text: display || text, display: display, pending: true });
    flush();
  };

  /* ---------- socket ---------- */
  const tx = (o) => { try { ws.send(JSON.stringify(o)); return true; } catch (e) { return false; } };

  const hello = () => {
    let tz = null;
    try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch (e) { /* old browser */ }
    if (scanning) return { type: 'hello', session: null, qr: qrToken, language: lang, timezone: tz };
    return { type: 'hello', session: load('session'), language: lang, timezone: tz };
  };

  const flush = () => {
    if (!ws || !welcomed) return;
    const chosen = load('lang') === lang;
    outbox.forEach((it) => {
      if (sent.has(it.id)) return;
      sent.add(it.id);
      tx({ type: 'message', id: it.id, text: it.text, display: it.display, language: lang, language_chosen: chosen });
    });
  };

  const dropFromOutbox = (id) => {
    const it = outbox.filter((x) => x.id === id)[0];
    if (it) { outbox = outbox.filter((x) => x !== it); saveOutbox(); }
    return it;
  };
  const entryFor = (id) => entries.filter((e) => e.k === 'u' && e.id === id)[0];

  const ready = () => {
    if (readyDone || !cssOk || !everWelcomed) return;
    readyDone = true;
    attr(host, 'data-ready', 'true');
    try { performance.mark('cb-chat-ready'); } catch (e) { /* no User Timing */ }
    tellHost();
  };

  const onWelcome = (f) => {
    if (typeof f.session === 'string') save('session', f.session);
    if (scanning) { save('qr', qrToken); scanning = false; }
    ta.maxLength = f.max_chars > 0 ? f.max_chars : 2000;
    const hist = Array.isArray(f.history) ? f.history : [];
    const ids = new Set();
    hist.forEach((x) => { if (x && x.type === 'user' && x.id) ids.add(x.id); });
    outbox = outbox.filter((x) => !ids.has(x.id));
    saveOutbox();
    // Notices since the last welcome stay where they were: after the n-th user/bot message.
    const carry = {};
    const keyer = () => { const c = { u: 0, b: 0, a: 0 }; return (e) => e.k + c[e.k]++; };
    let key = keyer(), last = '';
    entries.forEach((e) => {
      if (e.k !== 'n') last = key(e);
      else if (e.gen === gen) (carry[last] = carry[last] || []).push(e);
    });
    gen++;
    entries = [];
    key = keyer();
    const put = (e) => {
      add(e, true);
      const k = key(e);
      if (carry[k]) { carry[k].forEach((n) => entries.push(n)); delete carry[k]; }
    };
    (carry[''] || []).forEach((n) => entries.push(n));
    delete carry[''];
    hist.forEach((x) => {
      if (!x) return;
      if (x.type === 'user') put({ k: 'u', id: x.id, text: String(x.display || x.text || '') });
      else if (x.type === 'bot' && hasContent(x)) put({ k: 'b', m: x, used: false, chosen: -1 });
      else if (x.type === 'agent' && x.text) put(agentEntry(x));
    });
    outbox.forEach((x) => put({ k: 'u', id: x.id, text: x.display || x.text, display: x.display, pending: true }));
    Object.keys(carry).forEach((k) => carry[k].forEach((n) => entries.push(n)));
    welcomed = true;
    typing.hidden = true;
    if (!outbox.length) attempt = 0;
    clearTimeout(statusTimer);
    if (everWelcomed) {
      setStatus('reconnected');
      statusTimer = setTimeout(() => setStatus(''), 2500);
    } else {
      setStatus('');
    }
    everWelcomed = true;
    renderAll();
    flush();
    ready();
  };

  const onFrame = (f) => {
    if (!f || typeof f !== 'object') return;
    if (f.type === 'welcome') return onWelcome(f);
    if (f.type === 'notice') return notice(f.text);
    if (!welcomed) return;
    if (f.type === 'typing') {
      const stick = nearEnd();
      typing.hidden = !f.on;
      if (stick) toEnd();
    } else if (f.type === 'bot') {
      typing.hidden = true;
      followConversation(f.text);
      if (botMsg(f) && !isOpen) { unread++; tellHost(); }
    } else if (f.type === 'agent') {
      if (f.text) {
        add(agentEntry(f));
        if (!isOpen) { unread++; tellHost(); }
      }
    } else if (f.type === 'ack') {
      dropFromOutbox(f.id);
      attempt = 0;
      const e = entryFor(f.id);
      if (e) {
        e.pending = false;
        setMark(e);
        // The gateway may return the text as the bot got it (card numbers removed): show that.
        if (typeof f.text === 'string' && f.text && e.el && !e.display) {
          e.text = f.text;
          const b = e.el.firstChild;
          b.textContent = '';
          rich(b, f.text);
        }
      }
    } else if (f.type === 'reject') {
      const it = dropFromOutbox(f.id);
      const e = entryFor(f.id);
      if (e) { entries.splice(entries.indexOf(e), 1); if (e.el) e.el.remove(); refreshButtons(); }
      notice(f.text);
      if (it && !it.display && !ta.value.trim()) { // a typed text goes back; a button stays usable
        ta.value = it.text;
        saveDraft();
        autosize();
      }
    } else if (f.type === 'retry') {
      notice(f.text);
      if (ws) ws.close();
    }
  };

  const schedule = () => {
    clearTimeout(timer);
    const base = Math.min(15000, 500 * Math.pow(2, attempt));
    attempt++;
    timer = setTimeout(connect, base * (0.7 + Math.random() * 0.6));
  };

  const connect = () => {
    clearTimeout(timer);
    if (ws) return;
    setStatus(everWelcomed ? 'reconnecting' : 'connecting');
    let s;
    try { s = new WebSocket(WS_URL); } catch (e) { schedule(); return; }
    ws = s;
    welcomed = false;
    sent = new Set();
    const guard = setTimeout(() => { if (ws === s && !welcomed) s.close(); }, 15000);
    s.onopen = () => { if (ws === s) tx(hello()); };
    s.onmessage = (ev) => {
      if (ws !== s) return;
      let f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      onFrame(f);
    };
    s.onerror = () => { try { s.close(); } catch (e) { /* closing */ } };
    s.onclose = () => {
      clearTimeout(guard);
      if (ws !== s) return;
      ws = null;
      welcomed = false;
      typing.hidden = true;
      clearTimeout(statusTimer);
      setStatus(everWelcomed ? 'reconnecting' : 'connecting');
      updMarks();
      schedule();
    };
  };

  const wake = () => { if (!ws) connect(); };
  window.addEventListener('online', wake);
  window.addEventListener('pageshow', wake);
  window.addEventListener('offline', updMarks);
  // Phones (and WeChat) may leave a dead socket open while the page sleeps: after a long
  // absence start a fresh one (the welcome/history step makes that safe).
  let hiddenAt = 0;
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible') { hiddenAt = Date.now(); return; }
    if (ws && hiddenAt && Date.now() - hiddenAt > 60000) {
      const s = ws;
      ws = null;
      welcomed = false;
      try { s.close(); } catch (e) { /* already closed */ }
    }
    hiddenAt = 0;
    wake();
  });

  /* ---------- start ---------- */
  const cssDone = () => {
    if (cssOk) return;
    cssOk = true;
    root.hidden = false;
    autosize();
    toEnd();
    ready();
  };
  link.addEventListener('load', cssDone);
  link.addEventListener('error', cssDone);
  setTimeout(cssDone, 5000);

  outbox.forEach((x) => add({ k: 'u', id: x.id, text: x.display || x.text, display: x.display, pending: true }, true));
  renderAll();
  localize();
  if (EMBED) {
    isOpen = load('open') === '1';
    root.classList.toggle('is-open', isOpen);
    started = true;
    tellHost(); // the first word to the launcher: it shows itself now
  }

  const mount = () => {
    document.body.appendChild(host);
    if (PAGE && window.matchMedia && matchMedia('(pointer: fine)').matches) ta.focus();
    // A shop page's visitor who never opens the chat costs the gateway no socket.
    if (PAGE || isOpen || load('session') || outbox.length) connect();
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
