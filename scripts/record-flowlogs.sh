#!/usr/bin/env bash
# record-flowlogs.sh - record kernel traffic in network namespaces and write the
# VPC flow-log records the server's and the NAT gateway's ENIs would have logged.
#
# Usage:  sudo scripts/record-flowlogs.sh
#
# Every namespace is named acf-*; all of them are deleted on exit (also on error
# or Ctrl-C).  Nothing is configured on the host's own interfaces.
#
#   acf-lin  10.1.1.11 fd01:1::11 (32768-60999) --+
#   acf-win  10.1.1.12            (49152-65535) --+-- br-cli 10.1.1.1 fd01:1::1 --+
#   acf-xp   10.1.1.13            (1025-5000)   --+                               |
#                                                                          acf-rtr (router)
#   acf-prv  10.1.3.11 --- r-prv 10.1.3.1 (source-routed via the NAT gateway) ----+
#                                                                                 |
#   acf-srv  10.1.2.10 fd01:2::10 (the "ENI" eni-0f10000000000a001) --+-- br-srv 10.1.2.1 fd01:2::1
#   acf-ngw  10.1.2.20 (NAT gateway, one arm, eni-0f10000000000a002) --+
#
# The server (acf-srv) has HTTP on tcp/80 and tcp/8080, a DNS-shaped responder
# on udp/53 and a line echo on tcp/7.  Its iptables drop statelessly, with an
# NFLOG (group 5, prefix = rule name) in front of every DROP:
#   ingress-deny-tcp-8080        INPUT  tcp dport 8080
#   egress-deny-dport-lt-32768   OUTPUT tcp/udp dport 0-32767 (replies to
#                                low client ports: the windows-xp client, and
#                                some of the NAT gateway's random ports)
# tcpdump records the server's eth0, the NFLOG drops (tcpdump -i nflog:5) and
# the NAT gateway's eth0.  scripts/flowlogs-from-pcap.py then writes the
# records (see captures/flowlogs/README.md, which it also writes), and
# scripts/flowlogs-parquet.mjs the Parquet copy.
set -euo pipefail

if [[ ${EUID:-$(id -u)} -ne 0 ]]; then
  echo "record-flowlogs.sh: must be run as root (sudo $0)" >&2
  exit 1
fi
for tool in ip tcpdump iptables ip6tables ping python3 node gzip; do
  command -v "$tool" >/dev/null || { echo "record-flowlogs.sh: missing $tool" >&2; exit 1; }
done

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$REPO/captures/flowlogs
PY=$(command -v python3)

NS_RTR=acf-rtr; NS_SRV=acf-srv; NS_NGW=acf-ngw; NS_LIN=acf-lin; NS_WIN=acf-win; NS_XP=acf-xp; NS_PRV=acf-prv
ALL_NS=("$NS_LIN" "$NS_WIN" "$NS_XP" "$NS_PRV" "$NS_NGW" "$NS_SRV" "$NS_RTR")
SRV4=10.1.2.10; SRV6=fd01:2::10; NGW4=10.1.2.20
SRV_MAC=02:af:00:02:00:0a; NGW_MAC=02:af:00:02:00:14

WORK=""
PIDS=()          # tcpdumps: stopped with SIGINT so they flush their files
SERVER_PID=""

cleanup() {
  set +e
  local p ns pid
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  PIDS=()
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  SERVER_PID=""
  for ns in "${ALL_NS[@]}"; do
    if ip netns list | grep -qw -- "^$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
      ip netns del "$ns" 2>/dev/null
    fi
  done
  if [[ -n $WORK && -d $WORK ]]; then rm -rf -- "$WORK"; fi
  WORK=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[record-flowlogs] %s\n' "$*" >&2; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cleanup
WORK=$(mktemp -d /tmp/acf-record.XXXXXX)
mkdir -p "$OUT"

# ----------------------------------------------------------------- helpers
cat >"$WORK/server.py" <<'PYEOF'
# Services of the server namespace.  argv: ipv4 ipv6 readyfile
import http.server, socket, socketserver, struct, sys, threading
srv4, srv6, ready = sys.argv[1], sys.argv[2], sys.argv[3]
BODY = b"aclreplay flow-log lab\n"

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
    def log_message(self, *a):
        pass

class HTTP4(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "server", self.server_address[1]

class HTTP6(HTTP4):
    address_family = socket.AF_INET6
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        HTTP4.server_bind(self)

class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)

class Echo4(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

def dns_answer(q):
    if len(q) < 12:
        return None
    qid, flags = struct.unpack("!HH", q[:4])
    p = 12
    while p < len(q) and q[p] != 0:
        p += 1 + q[p]
    hdr = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100), 1, 1, 0, 0)
    return hdr + q[12:p + 5] + struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton("192.0.2.1")

def udp_loop(sock):
    while True:
        data, peer = sock.recvfrom(65535)
        reply = dns_answer(data)
        if reply is not None:
            try:
                sock.sendto(reply, peer)
            except OSError:
                pass   # EPERM: our own OUTPUT rule dropped it

def udp_socket(fam, addr):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 53))
    return s

servers = [HTTP4((srv4, 80), Handler), HTTP6((srv6, 80), Handler), HTTP4((srv4, 8080), Handler), Echo4((srv4, 7), Echo)]
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
for s in (udp_socket(socket.AF_INET, srv4), udp_socket(socket.AF_INET6, srv6)):
    threading.Thread(target=udp_loop, args=(s,), daemon=True).start()
open(ready, "w").write("ready\n")
threading.Event().wait()
PYEOF

cat >"$WORK/client.py" <<'PYEOF'
# Traffic of one client namespace.  argv: --name N --log F --v4 SERVER4 [--v6 SERVER6] ACTION...
# ACTION: http4:N  http6:N  http8080:N  dns4:N  dns6:N  ping4:N
#         dnsfixed:PORT:DELAY,DELAY,...  (queries from one bound source port, at these offsets in seconds)
#         slowtcp:LINES:PAUSE            (tcp/7 echo: one line every PAUSE seconds, then close)
import argparse, json, socket, struct, subprocess, time
ap = argparse.ArgumentParser()
ap.add_argument("--name", required=True); ap.add_argument("--log", required=True)
ap.add_argument("--v4", required=True); ap.add_argument("--v6")
ap.add_argument("actions", nargs="+")
a = ap.parse_args()

def record(rec):
    rec["client"] = a.name
    with open(a.log, "a") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")

def http(fam, host, port, i):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(2.5)
    rec = {"kind": "http", "dst": host, "dport": port, "i": i}
    try:
        s.connect((host, port))
        s.sendall(b"GET /%s/%d HTTP/1.0\r\nHost: lab\r\n\r\n" % (a.name.encode(), i))
        data = b""
        while True:
            c = s.recv(4096)
            if not c:
                break
            data += c
        rec["result"] = "ok" if data.startswith(b"HTTP/1.0 200") else "bad"
    except socket.timeout:
        rec["result"] = "timeout"
    except OSError as e:
        rec["result"] = "error:%s" % e.errno
    finally:
        try: rec["sport"] = s.getsockname()[1]
        except OSError: pass
        s.close()
    record(rec)

def dns_query(i):
    name = b"".join(bytes([len(l)]) + l for l in [b"h%d" % i, a.name.encode(), b"example", b"com"]) + b"\0"
    return struct.pack("!HHHHHH", (i * 7919) & 0xFFFF, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", 1, 1)

def dns(fam, host, i, sock=None):
    s = sock or socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(1.5)
    rec = {"kind": "dns", "dst": host, "dport": 53, "i": i}
    try:
        s.sendto(dns_query(i), (host, 53))
        s.recv(4096)
        rec["result"] = "ok"
    except socket.timeout:
        rec["result"] = "timeout"
    except OSError as e:
        rec["result"] = "error:%s" % e.errno
    rec["sport"] = s.getsockname()[1]
    if sock is None:
        s.close()
    record(rec)

def slowtcp(lines, pause):
    s = socket.create_connection((a.v4, 7), timeout=5)
    rec = {"kind": "slowtcp", "dst": a.v4, "dport": 7, "sport": s.getsockname()[1], "lines": lines}
    f = s.makefile("rb")
    for i in range(lines):
        s.sendall(b"line %d\n" % i)
        f.readline()
        time.sleep(pause)
    s.close()
    rec["result"] = "ok"
    record(rec)

for action in a.actions:
    kind, _, rest = action.partition(":")
    if kind == "dnsfixed":
        port, delays = rest.split(":")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(port)))
        t0 = time.monotonic()
        for i, d in enumerate(float(x) for x in delays.split(",")):
            time.sleep(max(0.0, t0 + d - time.monotonic()))
            dns(socket.AF_INET, a.v4, 100 + i, s)
        s.close()
        continue
    if kind == "slowtcp":
        n, pause = rest.split(":")
        slowtcp(int(n), float(pause))
        continue
    n = int(rest)
    if kind == "ping4":
        out = subprocess.run(["ping", "-n", "-c", str(n), "-i", "0.3", "-W", "1", a.v4], capture_output=True, text=True).stdout
        record({"kind": "ping", "dst": a.v4, "summary": [l for l in out.splitlines() if "transmitted" in l]})
        continue
    for i in range(n):
        if kind == "http4": http(socket.AF_INET, a.v4, 80, i)
        elif kind == "http6": http(socket.AF_INET6, a.v6, 80, i)
        elif kind == "http8080": http(socket.AF_INET, a.v4, 8080, i)
        elif kind == "dns4": dns(socket.AF_INET, a.v4, i)
        elif kind == "dns6": dns(socket.AF_INET6, a.v6, i)
        else: raise SystemExit("unknown action " + action)
        time.sleep(0.05)
PYEOF

# ---------------------------------------------------------------- topology
mkns() {
  local ns=$1; shift
  ip netns add "$ns"
  nsx "$ns" ip link set lo up
  nsx "$ns" sysctl -q -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 "$@" >/dev/null
}
log "building namespaces"
mkns "$NS_RTR" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0
mkns "$NS_SRV"
mkns "$NS_NGW" net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 net.ipv6.conf.all.disable_ipv6=1
mkns "$NS_LIN" "net.ipv4.ip_local_port_range=32768 60999"
mkns "$NS_WIN" "net.ipv4.ip_local_port_range=49152 65535" net.ipv6.conf.all.disable_ipv6=1
mkns "$NS_XP" "net.ipv4.ip_local_port_range=1025 5000" net.ipv6.conf.all.disable_ipv6=1
mkns "$NS_PRV" "net.ipv4.ip_local_port_range=32768 60999" net.ipv6.conf.all.disable_ipv6=1

nsx "$NS_RTR" ip link add br-cli address 02:af:00:01:00:01 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
nsx "$NS_RTR" ip link add br-srv address 02:af:00:02:00:01 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
veth() {  # ns_a if_a mac_a ns_b if_b mac_b
  ip -n "$1" link add "$2" address "$3" type veth peer name "$5" address "$6" netns "$4"
}
veth "$NS_RTR" p-lin 02:af:01:01:00:11 "$NS_LIN" eth0 02:af:00:01:00:11
veth "$NS_RTR" p-win 02:af:01:01:00:12 "$NS_WIN" eth0 02:af:00:01:00:12
veth "$NS_RTR" p-xp  02:af:01:01:00:13 "$NS_XP"  eth0 02:af:00:01:00:13
veth "$NS_RTR" p-srv 02:af:01:02:00:0a "$NS_SRV" eth0 "$SRV_MAC"
veth "$NS_RTR" p-ngw 02:af:01:02:00:14 "$NS_NGW" eth0 "$NGW_MAC"
veth "$NS_RTR" r-prv 02:af:00:03:00:01 "$NS_PRV" eth0 02:af:00:03:00:0b
for p in p-lin p-win p-xp; do nsx "$NS_RTR" ip link set "$p" master br-cli up; done
for p in p-srv p-ngw; do nsx "$NS_RTR" ip link set "$p" master br-srv up; done
up() { local ns=$1 ifc=$2; shift 2; local x; for x in "$@"; do
  if [[ $x == *:* ]]; then nsx "$ns" ip -6 addr add "$x" dev "$ifc" nodad; else nsx "$ns" ip addr add "$x" dev "$ifc"; fi
done; nsx "$ns" ip link set "$ifc" up; }
up "$NS_RTR" br-cli 10.1.1.1/24 fd01:1::1/64
up "$NS_RTR" br-srv 10.1.2.1/24 fd01:2::1/64
up "$NS_RTR" r-prv 10.1.3.1/24
up "$NS_SRV" eth0 "$SRV4/24" "$SRV6/64"
up "$NS_NGW" eth0 "$NGW4/24"
up "$NS_LIN" eth0 10.1.1.11/24 fd01:1::11/64
up "$NS_WIN" eth0 10.1.1.12/24
up "$NS_XP" eth0 10.1.1.13/24
up "$NS_PRV" eth0 10.1.3.11/24
nsx "$NS_SRV" ip route add default via 10.1.2.1
nsx "$NS_SRV" ip -6 route add default via fd01:2::1
nsx "$NS_NGW" ip route add default via 10.1.2.1
nsx "$NS_NGW" sysctl -q -w net.ipv4.conf.eth0.send_redirects=0 >/dev/null
for ns in "$NS_LIN" "$NS_WIN" "$NS_XP"; do nsx "$ns" ip route add default via 10.1.1.1; done
nsx "$NS_LIN" ip -6 route add default via fd01:1::1
nsx "$NS_PRV" ip route add default via 10.1.3.1
# the private subnet's route table sends everything through the NAT gateway (as a VPC route table would)
nsx "$NS_RTR" ip rule add iif r-prv table 100
nsx "$NS_RTR" ip route add default via "$NGW4" dev br-srv table 100
# one-armed NAT gateway: source NAT to its own address, random ports from 1024-65535
nsx "$NS_NGW" iptables -t nat -A POSTROUTING -s 10.1.3.0/24 -o eth0 -p tcp -j MASQUERADE --to-ports 1024-65535 --random
nsx "$NS_NGW" iptables -t nat -A POSTROUTING -s 10.1.3.0/24 -o eth0 -p udp -j MASQUERADE --to-ports 1024-65535 --random
nsx "$NS_NGW" iptables -t nat -A POSTROUTING -s 10.1.3.0/24 -o eth0 -j MASQUERADE

# the server's stateless rules; NFLOG group 5 in front of every DROP
for ipt in iptables ip6tables; do
  nsx "$NS_SRV" "$ipt" -A INPUT -p tcp --dport 8080 -j NFLOG --nflog-group 5 --nflog-prefix ingress-deny-tcp-8080
  nsx "$NS_SRV" "$ipt" -A INPUT -p tcp --dport 8080 -j DROP
  for proto in tcp udp; do
    nsx "$NS_SRV" "$ipt" -A OUTPUT -o eth0 -p "$proto" --dport 0:32767 -j NFLOG --nflog-group 5 --nflog-prefix egress-deny-dport-lt-32768
    nsx "$NS_SRV" "$ipt" -A OUTPUT -o eth0 -p "$proto" --dport 0:32767 -j DROP
  done
done

log "starting services"
nsx "$NS_SRV" "$PY" "$WORK/server.py" "$SRV4" "$SRV6" "$WORK/server.ready" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do [[ -e $WORK/server.ready ]] && break; sleep 0.05; done
[[ -e $WORK/server.ready ]] || { cat "$WORK/server.log" >&2; log "server did not start"; exit 1; }
sleep 1

capture() {  # ns iface file
  local err=$WORK/$(basename "$3").err
  ip netns exec "$1" tcpdump -i "$2" -n -U -s 262144 -w "$3" 2>"$err" &
  PIDS+=($!)
  for _ in $(seq 200); do grep -q "listening on" "$err" && break; sleep 0.05; done
  grep -q "listening on" "$err" || { cat "$err" >&2; log "tcpdump did not start on $1 $2"; exit 1; }
}
capture "$NS_SRV" eth0 "$WORK/server.pcap"
capture "$NS_SRV" nflog:5 "$WORK/server-drops.pcap"
capture "$NS_NGW" eth0 "$WORK/natgw.pcap"
sleep 0.5
T0=$(date +%s.%N)

client() { local ns=$1 name=$2; shift 2; nsx "$ns" "$PY" "$WORK/client.py" --name "$name" --log "$WORK/clients.log" --v4 "$SRV4" --v6 "$SRV6" "$@"; }

log "traffic (about 50 s)"
# long-lived flows first, in the background: they span several 10 s aggregation intervals
client "$NS_LIN" linux-long dnsfixed:45000:0,4,8,12,40 &
LONG1=$!
client "$NS_WIN" windows-long slowtcp:6:3 &
LONG2=$!
client "$NS_LIN" linux http4:6 http6:2 dns4:3 dns6:1 http8080:1 ping4:2
client "$NS_WIN" windows http4:5 dns4:3
client "$NS_XP" windows-xp http4:3 dns4:3
client "$NS_PRV" behind-nat http4:6 dns4:3 ping4:1
wait "$LONG1" "$LONG2"
sleep 1
T1=$(date +%s.%N)
sleep 0.5
for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
PIDS=()
nsx "$NS_SRV" iptables -L -v -n >"$WORK/server-rules.txt"
nsx "$NS_SRV" ip6tables -L -v -n >>"$WORK/server-rules.txt"

mkdir -p "$OUT"
cp "$WORK/server.pcap" "$WORK/server-drops.pcap" "$WORK/natgw.pcap" "$WORK/clients.log" "$WORK/server-rules.txt" "$OUT/"
log "writing flow-log records"
"$PY" "$REPO/scripts/flowlogs-from-pcap.py" --out "$OUT" --t0 "$T0" --t1 "$T1"
node "$REPO/scripts/flowlogs-parquet.mjs" "$OUT"
du -ab "$OUT" | sort -k2 >&2
