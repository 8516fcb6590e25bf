#!/usr/bin/env bash
# record-mirror.sh - record mirrored traffic the way VPC Traffic Mirroring delivers it (VXLAN to a mirror target),
# with the Linux kernel's own VXLAN, beside the direct capture of the same traffic.
#
# Usage:  sudo scripts/record-mirror.sh        (then: node scripts/reencap-mirror.mjs, for the GENEVE variants)
#
# Builds network namespaces (all named acm-*, deleted on exit, also after a failure), runs a small traffic pattern
# from three clients with different ephemeral port ranges through a router to a server, and mirrors the server's
# interface, both directions, with tc: a clsact qdisc and a match-everything u32 filter (`u32 match u32 0 0`; this
# kernel has no matchall) whose action `mirred egress mirror` copies every frame into a vxlan device (VNI 101) that
# sends it to the mirror target's underlay address. One client's interface is mirrored too (VNI 102): the both-ends
# case, where every packet between that client and the server arrives twice. tcpdump records, all at the same time:
#
#   captures/mirror/direct.pcap     the server's eth0 itself (the direct twin)
#   captures/mirror/vxlan.pcap      the target's underlay, VNI 101 only: the server-side mirror session
#   captures/mirror/both-ends.pcap  the target's underlay, both sessions (VNI 101 from the server, 102 from c1)
#
#   acm-c1  10.1.1.11 fd01:1::11  32768-60999 TTL 64  --+                    +-- acm-tgt br-u 192.168.77.2 (target)
#   acm-c2  10.1.1.12 fd01:1::12  49152-65535 TTL 128 --+-- br-c (acm-rtr)   |       (underlay, MTU 9000)
#   acm-c3  10.1.1.13             1025-5000   TTL 128 --+   10.1.1.1         |
#                                                   acm-rtr r-s 10.1.2.1 --- acm-srv eth0 10.1.2.10 fd01:2::10
#   acm-srv u-s 192.168.77.10 vx101 (VNI 101) --------------------------------+
#   acm-c1  u-c 192.168.77.11 vx102 (VNI 102) --------------------------------+
#
# Checksum offload, TSO/GSO/GRO are off on every veth, so both the direct and the mirrored copies carry real
# checksums and no packet is larger than the MTU. The vxlan devices and underlay links have IPv6 disabled so they
# add nothing of their own. A UDP socket on the target takes the VXLAN datagrams, so it answers no port unreachable.
# The script checks that the inner frames of vxlan.pcap are byte for byte the frames of direct.pcap, and that
# both-ends.pcap holds those plus c1's own frames, and exits non-zero otherwise.
set -euo pipefail

if [[ ${EUID:-$(id -u)} -ne 0 ]]; then
  echo "record-mirror.sh: must be run as root (sudo $0)" >&2
  exit 1
fi
for tool in ip tc tcpdump ethtool ping; do
  command -v "$tool" >/dev/null || { echo "record-mirror.sh: missing $tool" >&2; exit 1; }
done

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$REPO/captures/mirror
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)

NS_SRV=acm-srv; NS_RTR=acm-rtr; NS_TGT=acm-tgt; NS_C1=acm-c1; NS_C2=acm-c2; NS_C3=acm-c3
ALL_NS=("$NS_C1" "$NS_C2" "$NS_C3" "$NS_SRV" "$NS_RTR" "$NS_TGT")

SRV4=10.1.2.10; SRV6=fd01:2::10
RTR_S4=10.1.2.1; RTR_S6=fd01:2::1; RTR_C4=10.1.1.1; RTR_C6=fd01:1::1
C1_4=10.1.1.11; C1_6=fd01:1::11; C2_4=10.1.1.12; C2_6=fd01:1::12; C3_4=10.1.1.13
TGT_U=192.168.77.2; SRV_U=192.168.77.10; C1_U=192.168.77.11
VNI_SRV=101; VNI_C1=102

WORK=""
SERVER_PID=""
SINK_PID=""
CAP_PIDS=()

cleanup() {
  set +e
  local pid ns
  for pid in "${CAP_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  CAP_PIDS=()
  for pid in $SERVER_PID $SINK_PID; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  SERVER_PID=""
  SINK_PID=""
  for ns in "${ALL_NS[@]}"; do
    if ip netns list | grep -qw -- "^$ns"; then
      # only processes inside our own namespaces
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
      ip netns del "$ns" 2>/dev/null
    fi
  done
  if [[ -n $WORK && -d $WORK ]]; then rm -rf -- "$WORK"; fi
  WORK=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[record-mirror] %s\n' "$*" >&2; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ns_sysctl() { local ns=$1; shift; local kv; for kv in "$@"; do nsx "$ns" sysctl -q -w "$kv" >/dev/null; done; }

cleanup
WORK=$(mktemp -d /tmp/acm-record.XXXXXX)
mkdir -p "$OUT"

# ----------------------------------------------------------- python helpers
cat >"$WORK/server.py" <<'PYEOF'
# Services: HTTP tcp/80 (v4+v6), DNS-shaped udp/53, UDP echo on udp/7. tcp/8081 closed (RST), tcp/8082 dropped by a
# tc filter (no answer), udp/9999 closed (ICMP port unreachable). udp/4789 belongs to the vxlan device's socket,
# which drops what is not VXLAN: the client's ordinary datagrams there get no answer.
import http.server, socket, socketserver, struct, sys, threading
srv4, srv6, ready = sys.argv[1], sys.argv[2], sys.argv[3]
BODY = b"aclreplay mirror test server\n" * 4

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "acm/1.0"
    sys_version = ""
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
    def log_message(self, *a):
        pass

class HTTP4(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "server", self.server_address[1]

class HTTP6(HTTP4):
    address_family = socket.AF_INET6
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        HTTP4.server_bind(self)

def dns_answer(q):
    if len(q) < 12:
        return None
    qid, flags = struct.unpack("!HH", q[:4])
    p = 12
    while p < len(q) and q[p] != 0:
        p += 1 + q[p]
    hdr = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100), 1, 1, 0, 0)
    return hdr + q[12:p + 5] + struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton("192.0.2.1")

def udp_loop(sock, fn):
    while True:
        data, peer = sock.recvfrom(65535)
        r = fn(data)
        if r is not None:
            sock.sendto(r, peer)

def udp(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    return s

for srv in (HTTP4((srv4, 80), Handler), HTTP6((srv6, 80), Handler)):
    threading.Thread(target=srv.serve_forever, daemon=True).start()
for fam, addr in ((socket.AF_INET, srv4), (socket.AF_INET6, srv6)):
    for port, fn in ((53, dns_answer), (7, lambda d: d)):
        threading.Thread(target=udp_loop, args=(udp(fam, addr, port), fn), daemon=True).start()
open(ready, "w").write("ready\n")
threading.Event().wait()
PYEOF

cat >"$WORK/client.py" <<'PYEOF'
# client.py NAME SERVER4 SERVER6|- ACTION...   ACTION = KIND:COUNT
# KIND: http4 http6 closed4 dropped4 dns4 dns6 echo4 echo6 udp4789 big4 udpclosed4 ping4 ping6
import socket, struct, subprocess, sys, time
name, s4, s6 = sys.argv[1], sys.argv[2], sys.argv[3]

def fam(v): return socket.AF_INET6 if v == "6" else socket.AF_INET
def dst(v): return s6 if v == "6" else s4

def tcp(v, port, i, timeout=2.0):
    s = socket.socket(fam(v), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((dst(v), port))
        s.sendall(b"GET /%s/%d HTTP/1.0\r\nHost: server\r\nUser-Agent: acm\r\n\r\n" % (name.encode(), i))
        while s.recv(4096):
            pass
    except OSError:
        pass
    finally:
        s.close()

def udp(v, port, payload, timeout=1.0):
    s = socket.socket(fam(v), socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.connect((dst(v), port))
        s.send(payload)
        s.recv(65535)
    except OSError:
        pass
    finally:
        s.close()

def dns(i):
    qname = b"".join(bytes([len(l)]) + l for l in [b"h%d" % i, name.encode(), b"example", b"com"]) + b"\0"
    return struct.pack("!HHHHHH", (0x4100 + i) & 0xFFFF, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)

for action in sys.argv[4:]:
    kind, count = action.split(":")
    v = kind[-1]
    for i in range(int(count)):
        if kind.startswith("http"): tcp(v, 80, i)
        elif kind.startswith("closed"): tcp(v, 8081, i)
        elif kind.startswith("dropped"): tcp(v, 8082, i, timeout=1.5)
        elif kind.startswith("dns"): udp(v, 53, dns(i))
        elif kind.startswith("echo"): udp(v, 7, b"echo %s %d\n" % (name.encode(), i))
        elif kind.startswith("udp4789"):
            # ordinary UDP to the VXLAN port: text, and 8 bytes that set the I flag but also a reserved byte
            udp(v, 4789, b"hello port 4789 from %s\n" % name.encode() if i % 2 == 0 else bytes([8, 0, 0, 0, 0, 0, 42, 1]) + b"not vxlan")
        elif kind.startswith("big"): udp(v, 7, bytes(range(256)) * 12)
        elif kind.startswith("udpclosed"): udp(v, 9999, b"hello closed port\n")
        elif kind.startswith("ping"):
            subprocess.run(["ping", "-n", "-" + v, "-c", "1", "-W", "1", dst(v)], capture_output=True)
        else:
            raise SystemExit("unknown action " + kind)
        time.sleep(0.02)
PYEOF

cat >"$WORK/sink.py" <<'PYEOF'
# The mirror target's listener: takes VXLAN datagrams and drops them (no ICMP port unreachable to the sessions).
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 4789))
open(sys.argv[2], "w").write("ready\n")
while True:
    s.recv(65535)
PYEOF

cat >"$WORK/check.py" <<'PYEOF'
# check.py direct.pcap vxlan.pcap both-ends.pcap c1-direct.pcap: the inner frames of the mirror captures are the
# directly captured frames, byte for byte (as multisets: the copies may be reordered by a few microseconds).
import collections, struct, sys

def frames(path):
    data = open(path, "rb").read()
    e = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    off, out = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out

def inner(path):
    by_vni = collections.defaultdict(list)
    for f in frames(path):
        # Ethernet, IPv4 without options, UDP to 4789, VXLAN (flags 0x08), inner Ethernet frame
        assert f[12:14] == b"\x08\x00" and f[14] == 0x45 and f[23] == 17, "not IPv4/UDP"
        assert struct.unpack("!H", f[36:38])[0] == 4789 and f[42] == 0x08, "not VXLAN"
        by_vni[struct.unpack("!I", f[46:50])[0] >> 8].append(f[50:])
    return by_vni

direct, mirror, both, c1 = sys.argv[1:5]
d = collections.Counter(frames(direct))
m = inner(mirror)
b = inner(both)
c = collections.Counter(frames(c1))
ok = True
def cmp(what, got, want):
    global ok
    g, w = collections.Counter(got), want
    if g != w:
        ok = False
        print("MISMATCH %s: %d frames only in the mirror, %d only in the direct capture" % (what, sum((g - w).values()), sum((w - g).values())))
    else:
        print("ok %s: %d frames identical" % (what, sum(g.values())))
cmp("vxlan.pcap (VNI 101) vs direct.pcap", m[101], d)
cmp("both-ends.pcap VNI 101 vs direct.pcap", b[101], d)
cmp("both-ends.pcap VNI 102 vs c1's eth0", b[102], c)
sys.exit(0 if ok else 1)
PYEOF

# ---------------------------------------------------------------- topology
make_ns() {   # name [sysctls...]
  local ns=$1; shift
  ip netns add "$ns"
  nsx "$ns" ip link set lo up
  ns_sysctl "$ns" net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
    net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0 \
    net.ipv6.conf.default.accept_ra=0 "$@"
}
veth() { ip -n "$1" link add "$2" address "$3" type veth peer name "$5" address "$6" netns "$4"; }
quiet() {   # ns ifc...: no offloads (real checksums, no super-packets)
  local ns=$1 ifc; shift
  for ifc in "$@"; do
    nsx "$ns" ethtool -K "$ifc" tx off sg off tso off gso off gro off >/dev/null 2>&1 ||
      nsx "$ns" ethtool -K "$ifc" tx off >/dev/null
  done
}
no_v6() { local ns=$1 ifc; shift; for ifc in "$@"; do ns_sysctl "$ns" "net.ipv6.conf.$ifc.disable_ipv6=1"; done; }

log "building namespaces"
make_ns "$NS_RTR" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.forwarding=1
make_ns "$NS_SRV"
make_ns "$NS_TGT"
make_ns "$NS_C1" "net.ipv4.ip_local_port_range=32768 60999" net.ipv4.ip_default_ttl=64
make_ns "$NS_C2" "net.ipv4.ip_local_port_range=49152 65535" net.ipv4.ip_default_ttl=128 net.ipv6.conf.default.hop_limit=128
make_ns "$NS_C3" "net.ipv4.ip_local_port_range=1025 5000" net.ipv4.ip_default_ttl=128 \
  net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

veth "$NS_RTR" r-s 02:ad:00:02:00:01 "$NS_SRV" eth0 02:ad:00:02:00:0a
nsx "$NS_RTR" ip link add br-c address 02:ad:00:01:00:01 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
veth "$NS_RTR" c-1 02:ad:01:01:00:11 "$NS_C1" eth0 02:ad:00:01:00:11
veth "$NS_RTR" c-2 02:ad:01:01:00:12 "$NS_C2" eth0 02:ad:00:01:00:12
veth "$NS_RTR" c-3 02:ad:01:01:00:13 "$NS_C3" eth0 02:ad:00:01:00:13
for ifc in c-1 c-2 c-3; do nsx "$NS_RTR" ip link set "$ifc" master br-c; done
# underlay to the mirror target
nsx "$NS_TGT" ip link add br-u address 02:ad:00:77:00:02 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
veth "$NS_TGT" t-s 02:ad:01:77:00:10 "$NS_SRV" u-s 02:ad:00:77:00:10
veth "$NS_TGT" t-c 02:ad:01:77:00:11 "$NS_C1" u-c 02:ad:00:77:00:11
for ifc in t-s t-c; do nsx "$NS_TGT" ip link set "$ifc" master br-u; done

quiet "$NS_RTR" r-s c-1 c-2 c-3 br-c
quiet "$NS_SRV" eth0 u-s
quiet "$NS_C1" eth0 u-c
quiet "$NS_C2" eth0
quiet "$NS_C3" eth0
quiet "$NS_TGT" t-s t-c br-u
ns_sysctl "$NS_C2" net.ipv6.conf.eth0.hop_limit=128
no_v6 "$NS_SRV" u-s
no_v6 "$NS_C1" u-c
no_v6 "$NS_TGT" t-s t-c br-u

addr() { local ns=$1 ifc=$2; shift 2; local a; for a in "$@"; do
  if [[ $a == *:* ]]; then nsx "$ns" ip -6 addr add "$a" dev "$ifc" nodad; else nsx "$ns" ip addr add "$a" dev "$ifc"; fi
done; nsx "$ns" ip link set "$ifc" up; }
for ifc in t-s t-c; do nsx "$NS_TGT" ip link set "$ifc" mtu 9000 up; done
nsx "$NS_TGT" ip link set br-u mtu 9000
nsx "$NS_SRV" ip link set u-s mtu 9000
nsx "$NS_C1" ip link set u-c mtu 9000
addr "$NS_TGT" br-u "$TGT_U/24"
addr "$NS_SRV" u-s "$SRV_U/24"
addr "$NS_C1" u-c "$C1_U/24"
addr "$NS_RTR" r-s "$RTR_S4/24" "$RTR_S6/64"
addr "$NS_RTR" br-c "$RTR_C4/24" "$RTR_C6/64"
for ifc in c-1 c-2 c-3; do nsx "$NS_RTR" ip link set "$ifc" up; done
addr "$NS_SRV" eth0 "$SRV4/24" "$SRV6/64"
addr "$NS_C1" eth0 "$C1_4/24" "$C1_6/64"
addr "$NS_C2" eth0 "$C2_4/24" "$C2_6/64"
addr "$NS_C3" eth0 "$C3_4/24"
nsx "$NS_SRV" ip route add default via "$RTR_S4"
nsx "$NS_SRV" ip -6 route add default via "$RTR_S6"
for ns in "$NS_C1" "$NS_C2"; do
  nsx "$ns" ip route add default via "$RTR_C4"
  nsx "$ns" ip -6 route add default via "$RTR_C6"
done
nsx "$NS_C3" ip route add default via "$RTR_C4"

# ------------------------------------------------------------ mirror sessions
mirror_session() {   # ns ifc vxlan-dev vni local
  local ns=$1 ifc=$2 dev=$3 vni=$4 local=$5
  nsx "$ns" ip link add "$dev" type vxlan id "$vni" local "$local" remote "$TGT_U" dstport 4789 nolearning
  nsx "$ns" ip link set "$dev" addrgenmode none
  no_v6 "$ns" "$dev"
  nsx "$ns" ip link set "$dev" mtu 8950 up
  nsx "$ns" ethtool -K "$dev" tx off >/dev/null 2>&1 || true
  nsx "$ns" tc qdisc add dev "$ifc" clsact
  for dir in ingress egress; do
    nsx "$ns" tc filter add dev "$ifc" "$dir" protocol all prio 1 u32 match u32 0 0 action mirred egress mirror dev "$dev" continue
  done
}
mirror_session "$NS_SRV" eth0 vx101 "$VNI_SRV" "$SRV_U"
mirror_session "$NS_C1" eth0 vx102 "$VNI_C1" "$C1_U"

# The server's filter drops TCP to port 8082 at its interface (tc, after the capture taps and the mirror filter):
# connections there go unanswered, as to a host whose firewall drops them (both captures still see the SYNs).
# (This kernel has no gact "drop" action: the filter redirects them into a veth whose peer is down, which drops them.)
nsx "$NS_SRV" ip link add blk0 type veth peer name blk1
nsx "$NS_SRV" ip link set blk0 addrgenmode none
no_v6 "$NS_SRV" blk0 blk1
nsx "$NS_SRV" ip link set blk0 up
nsx "$NS_SRV" tc filter add dev eth0 ingress protocol ip prio 2 u32 match ip protocol 6 0xff match ip dport 8082 0xffff action mirred egress redirect dev blk0


nsx "$NS_TGT" "$PY" "$WORK/sink.py" "$TGT_U" "$WORK/sink.ready" >"$WORK/sink.log" 2>&1 &
SINK_PID=$!
log "starting services in $NS_SRV"
nsx "$NS_SRV" "$PY" "$WORK/server.py" "$SRV4" "$SRV6" "$WORK/server.ready" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do [[ -e $WORK/server.ready ]] && break; sleep 0.05; done
[[ -e $WORK/server.ready ]] || { cat "$WORK/server.log" >&2; log "server did not start"; exit 1; }
[[ -e $WORK/sink.ready ]] || { cat "$WORK/sink.log" >&2; log "mirror target did not start"; exit 1; }
# The underlay's ARP is resolved now, so the mirror captures hold VXLAN only; link-up MLD reports die down.
nsx "$NS_SRV" ping -c 1 -W 1 "$TGT_U" >/dev/null
nsx "$NS_C1" ping -c 1 -W 1 "$TGT_U" >/dev/null
sleep 2

# ---------------------------------------------------------------- capturing
start_capture() {   # ns ifc file [filter...]
  local ns=$1 ifc=$2 file=$3; shift 3
  local err="$WORK/$(basename "$file").err"
  ip netns exec "$ns" tcpdump -i "$ifc" -n -U -s 262144 -Z root -w "$file" "$@" 2>"$err" &
  CAP_PIDS+=($!)
  for _ in $(seq 200); do grep -q "listening on" "$err" && break; sleep 0.05; done
  grep -q "listening on" "$err" || { cat "$err" >&2; log "tcpdump did not start"; exit 1; }
}
stop_captures() {
  sleep 1
  local pid
  for pid in "${CAP_PIDS[@]}"; do kill -INT "$pid"; wait "$pid" || true; done
  CAP_PIDS=()
}

log "recording"
start_capture "$NS_SRV" eth0 "$WORK/direct.pcap"
start_capture "$NS_C1" eth0 "$WORK/c1-direct.pcap"
start_capture "$NS_TGT" br-u "$WORK/vxlan.pcap" udp dst port 4789 and '(udp[12:4] >> 8) = '"$VNI_SRV"
start_capture "$NS_TGT" br-u "$WORK/both-ends.pcap" udp dst port 4789
sleep 0.5
client() { local ns=$1; shift; nsx "$ns" "$PY" "$WORK/client.py" "$@"; }
client "$NS_C1" c1 "$SRV4" "$SRV6" http4:5 http6:2 closed4:1 dropped4:1 dns4:3 dns6:1 echo4:2 big4:1 udpclosed4:1 ping4:2 ping6:1
client "$NS_C2" c2 "$SRV4" "$SRV6" http4:4 http6:1 closed4:1 dns4:2 udp4789:2 ping4:2
client "$NS_C3" c3 "$SRV4" - http4:4 dns4:2 echo4:1 ping4:1
stop_captures

log "checking the mirrored frames against the direct captures"
"$PY" "$WORK/check.py" "$WORK/direct.pcap" "$WORK/vxlan.pcap" "$WORK/both-ends.pcap" "$WORK/c1-direct.pcap" >&2

for f in direct vxlan both-ends; do cp "$WORK/$f.pcap" "$OUT/$f.pcap"; done
ls -l "$OUT"/direct.pcap "$OUT"/vxlan.pcap "$OUT"/both-ends.pcap >&2
log "done; now run: node scripts/reencap-mirror.mjs"
