/* Support console: the live queue, a conversation taken over from the bot, replies, ticket updates.
   Plain ES2017, no dependencies; everything shown as text (textContent). Server: bot/web/support.py. */
(function () {
  'use strict';
  // The case card the customer saw, as one line: outcome, ticket, transaction, expected date.
  const cardText = (c) => {
    if (!c) return '';
    if (c.type !== 'case_result') return '[' + (c.type || 'card') + ']';
    return ['结论 · Outcome: ' + c.outcome, c.ticket_id && ('工单 · Ticket ' + c.ticket_id),
      c.transaction_id && ('交易 · Transaction ' + c.transaction_id),
      c.expected_by && ('预计 · Expected by ' + c.expected_by)].filter(Boolean).join(' · ');
  };
  const body = document.body;
  const CSRF = body.getAttribute('data-csrf') || '';
  const WS_URL = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/support/ws';
  const $ = (id) => document.getElementById(id);
  const REASONS = {
    customer_asked: '客户要求 · Customer asked',
    repeated_failures: '多次未能识别 · Bot could not help',
    policy: '超出机器人权限 · Above the bot\'s limit'
  };
  const LANGS = { zh: '中文', en: 'English' };

  let ws = null, attempt = 0, skew = 0, current = null, queue = [];

  const h = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  };

  // Success in the status region, failure in the alert region; showing one clears the other, so
  // a stale error never stands beside a later success (or the reverse).
  const status = (text) => { $('console-alert').textContent = ''; $('console-status').textContent = text || ''; };
  const problem = (text) => { $('console-status').textContent = ''; $('console-alert').textContent = text || ''; };

  const waited = (iso) => {
    const s = Math.max(0, Math.floor((Date.now() + skew - Date.parse(iso)) / 1000));
    const m = Math.floor(s / 60), hr = Math.floor(m / 60);
    if (hr) return hr + ' 小时 ' + (m % 60) + ' 分 · ' + hr + 'h ' + (m % 60) + 'm';
    if (m) return m + ' 分 ' + (s % 60) + ' 秒 · ' + m + 'm ' + (s % 60) + 's';
    return s + ' 秒 · ' + s + 's';
  };

  const api = async (method, path, data) => {
    const init = { method: method, credentials: 'same-origin', headers: { 'Accept': 'application/json' } };
    if (method !== 'GET') {
      init.headers['Content-Type'] = 'application/json';
      init.headers['X-CSRF-Token'] = CSRF;
      init.body = JSON.stringify(data || {});
    }
    const r = await fetch(path, init);
    if (r.status === 401) { location.href = '/support/login'; throw new Error('signed out'); }
    let json = {};
    try { json = await r.json(); } catch (e) { json = {}; }
    if (!r.ok) throw Object.assign(new Error(json.message || ('HTTP ' + r.status)), { status: r.status });
    return json;
  };

  /* ---------- the queue ---------- */
  const item = (x, mine) => {
    const li = h('li', 'queue-item');
    li.setAttribute('data-id', String(x.id));
    const head = h('div', 'queue-head');
    head.appendChild(h('strong', 'queue-ticket', x.ticket || '—'));
    head.appendChild(h('span', 'queue-lang', LANGS[x.language] || x.language));
    head.appendChild(h('span', 'queue-reason', REASONS[x.reason] || x.reason));
    const time = h('span', 'queue-waited', waited(x.created_at));
    time.setAttribute('data-since', x.created_at);
    head.appendChild(time);
    li.appendChild(head);
    li.appendChild(h('p', 'queue-summary', x.summary));
    const btn = h('button', mine ? 'button open' : 'button primary claim', mine ? '打开 · Open' : '接手 · Take');
    btn.type = 'button';
    btn.addEventListener('click', () => (mine ? open(x.id) : claim(x.id, btn)));
    li.appendChild(btn);
    return li;
  };

  const renderQueue = () => {
    const list = $('queue');
    list.textContent = '';
    queue.forEach((x) => list.appendChild(item(x, false)));
    $('queue-empty').hidden = queue.length > 0;
  };

  const renderMine = (mine) => {
    const list = $('mine');
    list.textContent = '';
    mine.forEach((x) => list.appendChild(item(x, true)));
  };

  const loadMine = async () => {
    try {
      const q = await api('GET', '/support/api/queue');
      renderMine(q.mine || []);
    } catch (e) { problem(e.message); }
  };

  setInterval(() => {
    document.querySelectorAll('.queue-waited').forEach((t) => { t.textContent = waited(t.getAttribute('data-since')); });
  }, 1000);

  /* ---------- one conversation ---------- */
  const line = (kind, who, text) => {
    const li = h('li', 't-item t-' + kind);
    li.appendChild(h('span', 't-who', who));
    li.appendChild(h('div', 't-text', text));
    const list = $('transcript');
    list.appendChild(li);
    li.scrollIntoView({ block: 'nearest' });
  };

  const show = (d) => {
    current = d;
    $('conversation').hidden = false;
    $('conversation-title').textContent = (d.ticket || '—') + ' · ' + (LANGS[d.language] || d.language);
    $('summary').textContent = d.summary;
    $('ticket-number').textContent = d.ticket_state ? d.ticket_state.number + ' (' + d.ticket_state.status + ')' : (d.ticket || '—');
    $('transcript').textContent = '';
    if (!d.transcript) line('notice', '系统 · System', '对话记录暂时无法读取 · The transcript is not available right now');
    (d.transcript || []).forEach((x) => {
      if (x.type === 'user') line('user', '客户 · Customer', x.text);
      else if (x.type === 'agent') line('agent', '客服 · Agent ' + x.name, x.text);
      else if (x.type === 'bot') line('bot', '机器人 · Bot', x.text || cardText(x.custom));
    });
    $('reply-form').hidden = false;
    $('finish-form').hidden = false;
    watch();
    $('reply').focus();
  };

  const watch = () => {
    if (current && ws && ws.readyState === 1) ws.send(JSON.stringify({ type: 'watch', escalation: current.id }));
  };

  const open = async (id) => {
    try { show(await api('GET', '/support/api/escalations/' + id)); } catch (e) { problem(e.message); }
  };

  const claim = async (id, btn) => {
    btn.disabled = true;
    try {
      show(await api('POST', '/support/api/escalations/' + id + '/claim'));
      status('');
      loadMine();
    } catch (e) {
      problem(e.message);
      btn.disabled = false;
    }
  };

  $('reply-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const box = $('reply');
    const text = box.value.trim();
    if (!text || !current) return;
    try {
      const said = await api('POST', '/support/api/escalations/' + current.id + '/messages', { text: text });
      line('agent', '客服 · Agent ' + said.name, said.text);
      box.value = '';
    } catch (e) { problem(e.message); }
  });

  $('reply').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      $('reply-form').requestSubmit();
    }
  });

  $('ticket-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!current) return;
    try {
      const t = await api('POST', '/support/api/escalations/' + current.id + '/ticket', {
        status: $('ticket-status').value || null, note: $('ticket-note').value
      });
      $('ticket-number').textContent = t.number + ' (' + t.status + ')';
      $('ticket-note').value = '';
      status('工单已更新 · Ticket updated');
    } catch (e) { problem(e.message); }
  });

  $('finish-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!current) return;
    const action = ev.submitter && ev.submitter.value === 'hand_back' ? 'hand_back' : 'resolve';
    try {
      const done = await api('POST', '/support/api/escalations/' + current.id + '/finish', {
        action: action, note: $('finish-note').value
      });
      if (done.resolution) line('agent', '客服 · Agent ' + done.name, done.resolution);
      if (done.closing) line('bot', '机器人 · Bot', done.closing);
      if (done.ticket) $('ticket-number').textContent = done.ticket.number + ' (' + done.ticket.status + ')';
      status(done.message);
      $('finish-note').value = '';
      $('reply-form').hidden = true;
      $('finish-form').hidden = true;
      current = null;
      loadMine();
    } catch (e) { problem(e.message); }
  });

  /* ---------- the socket ---------- */
  const onFrame = (f) => {
    if (!f || typeof f !== 'object') return;
    if (f.type === 'queue') {
      if (f.now) skew = Date.parse(f.now) - Date.now();
      queue = Array.isArray(f.items) ? f.items : [];
      renderQueue();
    } else if (f.type === 'customer') {
      if (current && f.escalation === current.id) line('user', '客户 · Customer', f.text);
    } else if (f.type === 'closed') {
      loadMine();
    }
  };

  const connect = () => {
    const s = new WebSocket(WS_URL);
    ws = s;
    s.onopen = () => { attempt = 0; body.setAttribute('data-live', 'true'); watch(); };
    s.onmessage = (m) => { try { onFrame(JSON.parse(m.data)); } catch (e) { /* not ours */ } };
    s.onclose = (e) => {
      body.removeAttribute('data-live');
      ws = null;
      if (e.code === 4401) { location.href = '/support/login'; return; }  // the session has ended
      attempt++;
      setTimeout(connect, Math.min(15000, 500 * Math.pow(2, attempt)));
    };
  };

  $('reply-form').hidden = true;
  $('finish-form').hidden = true;
  loadMine();
  connect();
})();
