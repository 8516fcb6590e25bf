// The lab's client, run inside a client namespace: makes the planned connection attempts, in plan order (which is
// also the order of the connect() calls, so kernel-chosen ports follow the kernel's sequence), with at most
// `concurrency` in flight, and prints one JSON line per attempt.
// argv[2]: a plan file {"attempts": [{"id", "proto", "dst", "dport", "src"?, "sport"?}], "tcpTimeoutMs",
// "udpTimeoutMs", "concurrency", "spacingMs"}. With sport the socket binds (src, sport) first; without, the kernel
// picks the port at connect() (TCP) or at the implicit bind of connect() (UDP).
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// Wall-clock milliseconds (the clock of the capture's timestamps), with sub-millisecond resolution.
const now = () => performance.timeOrigin + performance.now();
const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

/** The local port of a socket whose connect() is still in progress (Node's localPort is undefined then). */
function tcpLocalPort(sock) {
  if (typeof sock.localPort === 'number') return sock.localPort;
  const out = {};
  try {
    sock._handle?.getsockname?.(out);
  } catch {
    // closed
  }
  return typeof out.port === 'number' && out.port > 0 ? out.port : null;
}

function parseReply(text) {
  const m = /^OK (\S+) (\S+) (\d+)/.exec(text);
  return m ? { seenAddr: m[2], seenPort: Number(m[3]) } : {};
}

function tcpAttempt(a, seq, done) {
  const startMs = now();
  const opts = { host: a.dst, port: a.dport };
  if (a.sport) Object.assign(opts, { localAddress: a.src, localPort: a.sport });
  const sock = net.connect(opts);
  let localPort = null;
  let finished = false;
  let buf = '';
  const finish = (outcome, extra = {}) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    localPort = localPort ?? tcpLocalPort(sock);
    if (outcome === 'connected') sock.end();
    else sock.destroy();
    emit({ id: a.id, seq, proto: 'tcp', localPort, outcome, startMs, elapsedMs: now() - startMs, ...extra });
    done();
  };
  const timer = setTimeout(() => finish('timeout'), plan.tcpTimeoutMs);
  setImmediate(() => {
    localPort = localPort ?? tcpLocalPort(sock);
  });
  sock.once('connect', () => {
    localPort = tcpLocalPort(sock);
    sock.write(`HELLO ${a.id}\n`);
  });
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    if (buf.includes('\n')) finish('connected', parseReply(buf));
  });
  sock.on('error', (e) => finish(e.code === 'ECONNREFUSED' ? 'refused' : `error:${e.code}`));
  sock.on('close', () => finish(buf ? 'closed' : 'closed-without-reply'));
}

function udpAttempt(a, seq, done) {
  const startMs = now();
  const s = dgram.createSocket(a.dst.includes(':') ? 'udp6' : 'udp4');
  let localPort = null;
  let finished = false;
  const finish = (outcome, extra = {}) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    try {
      localPort = localPort ?? s.address().port;
    } catch {
      // not bound
    }
    s.close();
    emit({ id: a.id, seq, proto: 'udp', localPort, outcome, startMs, elapsedMs: now() - startMs, ...extra });
    done();
  };
  const timer = setTimeout(() => finish('timeout'), plan.udpTimeoutMs);
  s.on('message', (m) => finish('answered', parseReply(m.toString('latin1'))));
  s.on('error', (e) => finish(e.code === 'ECONNREFUSED' ? 'refused' : `error:${e.code}`));
  const go = () =>
    s.connect(a.dport, a.dst, (err) => {
      if (err) return finish(`error:${err.code}`);
      localPort = s.address().port;
      s.send(`HELLO ${a.id}\n`);
    });
  if (a.sport) s.bind({ port: a.sport, address: a.src }, go);
  else go();
}

let next = 0;
let inFlight = 0;
const total = plan.attempts.length;
let finishedCount = 0;
const launch = () => {
  while (inFlight < plan.concurrency && next < total) {
    const a = plan.attempts[next];
    const seq = next++;
    inFlight++;
    const done = () => {
      inFlight--;
      finishedCount++;
      if (finishedCount === total) process.exit(0);
      setImmediate(launch);
    };
    (a.proto === 'tcp' ? tcpAttempt : udpAttempt)(a, seq, done);
    if (plan.spacingMs > 0 && next < total) {
      setTimeout(launch, plan.spacingMs);
      return;
    }
  }
};
if (total === 0) process.exit(0);
launch();
