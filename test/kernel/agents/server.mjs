// The lab's server, run inside the server namespace: an HTTP-ish TCP service and a UDP responder on the given
// addresses and ports. Each request is one line ("HELLO <id>"); the answer names the address and port the server
// saw ("OK <id> <address> <port>"), so clients behind NAT learn their outside port. TCP: the client closes first.
// argv[2]: JSON {"hosts": [address], "tcp": [port], "udp": [port]}: every port on every host. stdout: one JSON line
// per event.
import dgram from 'node:dgram';
import net from 'node:net';

const given = JSON.parse(process.argv[2]);
const pairs = (ports) => given.hosts.flatMap((host) => ports.map((port) => ({ host, port })));
const cfg = { tcp: pairs(given.tcp), udp: pairs(given.udp) };
const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
let pending = cfg.tcp.length + cfg.udp.length;
const ready = () => {
  if (--pending === 0) emit({ ready: true });
};

for (const { host, port } of cfg.tcp) {
  const srv = net.createServer((sock) => {
    const remote = sock.remoteAddress;
    const rport = sock.remotePort;
    emit({ ev: 'accept', proto: 'tcp', local: host, lport: port, remote, rport });
    let buf = '';
    sock.setTimeout(15000, () => sock.destroy());
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const id = buf.slice(0, nl).replace(/^HELLO /, '');
      buf = buf.slice(nl + 1);
      sock.write(`OK ${id} ${remote} ${rport}\n`);
    });
    sock.on('end', () => sock.end());
    sock.on('error', () => sock.destroy());
  });
  srv.on('error', (e) => {
    emit({ ev: 'error', proto: 'tcp', host, port, message: String(e.message) });
    process.exit(1);
  });
  srv.listen({ host, port, backlog: 4096, ipv6Only: host.includes(':') }, ready);
}

for (const { host, port } of cfg.udp) {
  const s = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only: host.includes(':') });
  s.on('message', (msg, rinfo) => {
    const id = msg.toString('latin1').trim().replace(/^HELLO /, '');
    emit({ ev: 'datagram', proto: 'udp', local: host, lport: port, remote: rinfo.address, rport: rinfo.port, id });
    // A reply the server's own OUTPUT chain drops fails with EPERM: that is the point, not an error.
    s.send(`OK ${id} ${rinfo.address} ${rinfo.port}\n`, rinfo.port, rinfo.address, () => {});
  });
  s.on('error', (e) => emit({ ev: 'error', proto: 'udp', host, port, message: String(e.message) }));
  s.bind({ address: host, port }, ready);
}

process.on('SIGTERM', () => process.exit(0));
