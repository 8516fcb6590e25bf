#!/usr/bin/env python3
"""Write the VPC flow-log records two ENIs would have logged, from the lab's captures.

Inputs (in --out, written by scripts/record-flowlogs.sh):
  server.pcap        the server's eth0 (ENI eni-0f10000000000a001), every packet that crossed it
  server-drops.pcap  NFLOG group 5 of the server: every packet its iptables dropped, prefix = rule name
  natgw.pcap         the NAT gateway's eth0 (ENI eni-0f10000000000a002)
Outputs (in --out): v2/lab.log, v5/lab.log, s3/AWSLogs/.../*.log.gz, manifest.json, README.md.

Semantics follow https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html; the choices
this script had to make are listed in CHOICES below and in the README it writes.
"""
import argparse, collections, gzip, json, math, os, shutil, socket, struct, time

ACCOUNT = "123456789012"
REGION = "us-east-1"
AZ = "use1-az1"
VPC = "vpc-0f100000000000001"
FLOW_LOG_ID = "fl-0f1000000000000f1"
INTERVAL = 10
ENIS = [
    {"id": "eni-0f10000000000a001", "name": "server", "pcap": "server.pcap", "mac": bytes.fromhex("02af0002000a"),
     "addrs": ["10.1.2.10", "fd01:2::10"], "subnet": "subnet-0f1000000000000a2", "instance": "i-0f10000000000000a"},
    {"id": "eni-0f10000000000a002", "name": "natgw", "pcap": "natgw.pcap", "mac": bytes.fromhex("02af00020014"),
     "addrs": ["10.1.2.20"], "subnet": "subnet-0f1000000000000a2", "instance": "-"},
]
IDLE_ENI = {"id": "eni-0f10000000000a009", "subnet": "subnet-0f1000000000000a3", "instance": "i-0f10000000000000b"}
V2 = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status".split()
# a custom v5 format in a non-default order
V5 = ("version interface-id account-id vpc-id subnet-id instance-id flow-direction srcaddr srcport dstaddr dstport "
      "pkt-srcaddr pkt-dstaddr protocol tcp-flags type packets bytes start end action log-status traffic-path "
      "az-id region sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service").split()
CHOICES = [
    "Aggregation interval: 10 s windows aligned to multiples of 10 s of Unix time; one record per ENI, direction "
    "(5-tuple as seen by the ENI), window and action. Packets of one 5-tuple accepted and rejected in the same "
    "window give two records (ACCEPT and REJECT).",
    "start / end: the first packet's time rounded down and the last packet's time rounded up to whole seconds "
    "(AWS: 'the time, in Unix seconds, when the first/last packet of the flow was received within the "
    "aggregation interval').",
    "bytes: IP bytes (IPv4 total length, IPv6 40 + payload length), no Ethernet header.",
    "tcp-flags: OR over the window's packets of FIN 1, SYN 2, RST 4, and 16 (ACK) only as part of SYN-ACK (18); "
    "AWS does not log ACK or PSH alone. 0 for UDP and ICMP.",
    "ICMP records carry ports 0 (the ICMP type and code are not in flow logs).",
    "Not logged: ARP, ICMPv6 neighbour discovery and MLD (AWS flow logs record IP traffic to and from the "
    "interface, not link-local control traffic).",
    "ACCEPT / REJECT: REJECT exactly for the packets the server's iptables dropped (NFLOG group 5): ingress "
    "drops are packets seen on eth0 whose IP bytes equal an NFLOG payload; egress drops never reached eth0 and "
    "come from NFLOG alone (hook OUTPUT). Everything else is ACCEPT. The times of ingress drops are eth0's: the "
    "NFLOG timestamps of INPUT drops recorded here lag by about one packet (each carries the time of the previous "
    "packet of the flow), so they are not used.",
    "NAT gateway ENI (one arm): for ingress traffic whose destination is not the ENI's address, dstaddr is the "
    "ENI's primary address and pkt-dstaddr the real destination; for egress traffic whose source is not the "
    "ENI's address, srcaddr is the ENI's primary address and pkt-srcaddr the real source "
    "(https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-limitations.html and the NAT gateway example "
    "of flow-log-records).",
    "flow-direction: ingress for frames addressed to the ENI's MAC, egress for frames sent from it. "
    "traffic-path: 1 (through another resource in the same VPC) for egress, '-' for ingress.",
    "Coverage gaps added by hand (the kernel cannot produce them): one NODATA record for an idle ENI "
    "(eni-0f10000000000a009) over the first window, and one SKIPDATA record for the server ENI over the window "
    "after the recording ends.",
    "v2/lab.log has no header (the default format as CloudWatch Logs exports it); the S3 files and v5/lab.log "
    "start with the header line of field names, as AWS writes text files to S3.",
]

def read_pcap(path):
    data = open(path, "rb").read()
    magic = data[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(data):
        s, frac, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        out.append((s + frac / (1e9 if nano else 1e6), data[off:off + incl]))
        off += incl
    return linktype, out

def nflog_packets(path):
    """(ts, prefix, hook, ip bytes) of each NFLOG record (TLVs in host byte order, value padded to 4)."""
    linktype, pkts = read_pcap(path)
    assert linktype == 239, "%s: link type %d, expected NFLOG (239)" % (path, linktype)
    out = []
    for ts, rec in pkts:
        p, prefix, hook, payload = 4, "", None, None
        while p + 4 <= len(rec):
            tlen, ttype = struct.unpack("<HH", rec[p:p + 4])
            if tlen < 4:
                break
            val = rec[p + 4:p + tlen]
            ttype &= 0x7FFF
            if ttype == 1:
                hook = val[2]
            elif ttype == 9:
                payload = val
            elif ttype == 10:
                prefix = val.rstrip(b"\0").decode()
            p += (tlen + 3) & ~3
        if payload:
            out.append((ts, prefix, hook, payload))
    return out

def ip_info(ip):
    """(family, src, dst, proto, sport, dport, tcpflags, ip bytes) or None for what flow logs do not record."""
    if not ip:
        return None
    v = ip[0] >> 4
    if v == 4 and len(ip) >= 20:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        proto = ip[9]
        src, dst = socket.inet_ntop(socket.AF_INET, ip[12:16]), socket.inet_ntop(socket.AF_INET, ip[16:20])
        l4 = ip[ihl:]
        fam = 4
    elif v == 6 and len(ip) >= 40:
        total = 40 + struct.unpack("!H", ip[4:6])[0]
        proto = ip[6]
        src, dst = socket.inet_ntop(socket.AF_INET6, ip[8:24]), socket.inet_ntop(socket.AF_INET6, ip[24:40])
        l4 = ip[40:]
        fam = 6
    else:
        return None
    sport = dport = flags = 0
    if proto in (6, 17) and len(l4) >= 4:
        sport, dport = struct.unpack("!HH", l4[:4])
        if proto == 6 and len(l4) >= 14:
            flags = l4[13]
    elif proto == 58 and l4 and l4[0] in (130, 131, 132, 133, 134, 135, 136, 137, 143):
        return None
    return fam, src, dst, proto, sport, dport, flags, total

def aws_tcp_flags(f):
    v = f & 0x07
    if f & 0x12 == 0x12:
        v |= 0x10
    return v

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--t0", type=float, required=True)
    ap.add_argument("--t1", type=float, required=True)
    a = ap.parse_args()
    out = a.out

    drops = nflog_packets(os.path.join(out, "server-drops.pcap"))
    ingress_drops = collections.Counter(p[:48] for _, pre, hook, p in drops if pre.startswith("ingress-"))
    drop_rules = collections.Counter(pre for _, pre, _, _ in drops)

    agg = collections.OrderedDict()
    def add(eni, direction, ts, info, action):
        fam, src, dst, proto, sport, dport, flags, nbytes = info
        primary4 = eni["addrs"][0]
        own = set(eni["addrs"])
        if direction == "ingress":
            srcaddr, dstaddr = src, (dst if dst in own else (primary4 if fam == 4 else eni["addrs"][1]))
        else:
            srcaddr, dstaddr = (src if src in own else (primary4 if fam == 4 else eni["addrs"][1])), dst
        window = int(ts // INTERVAL) * INTERVAL
        k = (eni["id"], window, srcaddr, dstaddr, sport, dport, proto, action, direction, src, dst)
        r = agg.get(k)
        if r is None:
            r = agg[k] = {"eni": eni, "window": window, "srcaddr": srcaddr, "dstaddr": dstaddr, "srcport": sport,
                          "dstport": dport, "protocol": proto, "action": action, "direction": direction,
                          "pkt_src": src, "pkt_dst": dst, "family": fam, "packets": 0, "bytes": 0,
                          "first": ts, "last": ts, "flags": 0}
        r["packets"] += 1
        r["bytes"] += nbytes
        r["first"] = min(r["first"], ts)
        r["last"] = max(r["last"], ts)
        if proto == 6:
            r["flags"] |= aws_tcp_flags(flags)

    seen_ingress_drops = collections.Counter()
    for eni in ENIS:
        linktype, pkts = read_pcap(os.path.join(out, eni["pcap"]))
        assert linktype == 1
        for ts, frame in pkts:
            if len(frame) < 14:
                continue
            et = struct.unpack("!H", frame[12:14])[0]
            if et not in (0x0800, 0x86DD):
                continue
            ip = frame[14:]
            info = ip_info(ip)
            if info is None:
                continue
            if frame[0:6] == eni["mac"]:
                direction = "ingress"
            elif frame[6:12] == eni["mac"]:
                direction = "egress"
            else:
                continue
            action = "ACCEPT"
            if eni["name"] == "server" and direction == "ingress" and ingress_drops[ip[:48]] > seen_ingress_drops[ip[:48]]:
                seen_ingress_drops[ip[:48]] += 1
                action = "REJECT"
            add(eni, direction, ts, info, action)
    server = ENIS[0]
    for ts, pre, hook, payload in drops:
        if pre.startswith("egress-"):
            info = ip_info(payload)
            if info:
                add(server, "egress", ts, info, "REJECT")
    missing = sum(ingress_drops.values()) - sum(seen_ingress_drops.values())
    assert missing == 0, "%d ingress drops not found on eth0" % missing

    records = []
    for r in agg.values():
        eni = r["eni"]
        rec = {
            "version": "5", "account-id": ACCOUNT, "interface-id": eni["id"], "srcaddr": r["srcaddr"],
            "dstaddr": r["dstaddr"], "srcport": str(r["srcport"]), "dstport": str(r["dstport"]),
            "protocol": str(r["protocol"]), "packets": str(r["packets"]), "bytes": str(r["bytes"]),
            "start": str(int(math.floor(r["first"]))), "end": str(int(math.ceil(r["last"]))),
            "action": r["action"], "log-status": "OK", "vpc-id": VPC, "subnet-id": eni["subnet"],
            "instance-id": eni["instance"], "tcp-flags": str(r["flags"]),
            "type": "IPv4" if r["family"] == 4 else "IPv6", "pkt-srcaddr": r["pkt_src"], "pkt-dstaddr": r["pkt_dst"],
            "region": REGION, "az-id": AZ, "sublocation-type": "-", "sublocation-id": "-",
            "pkt-src-aws-service": "-", "pkt-dst-aws-service": "-", "flow-direction": r["direction"],
            "traffic-path": "1" if r["direction"] == "egress" else "-",
            "_window": r["window"],
        }
        records.append(rec)
    records.sort(key=lambda x: (x["_window"], x["interface-id"], int(x["start"]), x["srcaddr"], int(x["srcport"]),
                                x["dstaddr"], int(x["dstport"]), x["protocol"], x["action"]))
    first_w = records[0]["_window"]
    last_w = max(x["_window"] for x in records)
    def gap(eni, w, status):
        d = {k: "-" for k in V5}
        d.update({"version": "5", "account-id": ACCOUNT, "interface-id": eni["id"], "vpc-id": VPC,
                  "subnet-id": eni["subnet"], "instance-id": eni["instance"], "start": str(w),
                  "end": str(w + INTERVAL), "log-status": status, "region": REGION, "az-id": AZ, "_window": w})
        return d
    records.insert(0, gap(IDLE_ENI, first_w, "NODATA"))
    records.append(gap(server, last_w + INTERVAL, "SKIPDATA"))

    def line(rec, fields, version=None):
        vals = [rec.get(f, "-") for f in fields]
        if version:
            vals[fields.index("version")] = version
        return " ".join(vals)

    os.makedirs(os.path.join(out, "v2"), exist_ok=True)
    os.makedirs(os.path.join(out, "v5"), exist_ok=True)
    with open(os.path.join(out, "v2", "lab.log"), "w") as f:
        for r in records:
            f.write(line(r, V2, "2") + "\n")
    with open(os.path.join(out, "v5", "lab.log"), "w") as f:
        f.write(" ".join(V5) + "\n")
        for r in records:
            f.write(line(r, V5) + "\n")
    # S3 layout: two 5-minute files of the day (split at the middle window), gzip, each with the header line
    day = time.gmtime(first_w)
    s3dir = os.path.join(out, "s3", "AWSLogs", ACCOUNT, "vpcflowlogs", REGION,
                         "%04d" % day.tm_year, "%02d" % day.tm_mon, "%02d" % day.tm_mday)
    shutil.rmtree(os.path.join(out, "s3"), ignore_errors=True)   # files of an earlier run (another day) go
    os.makedirs(s3dir, exist_ok=True)
    mid = first_w + ((last_w - first_w) // (2 * INTERVAL)) * INTERVAL
    parts = [[r for r in records if r["_window"] <= mid], [r for r in records if r["_window"] > mid]]
    s3files = []
    for i, (part, suffix) in enumerate(zip(parts, ("3b7c9d1e", "5e2f8a4c"))):
        stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime(part[0]["_window"]))
        name = "%s_vpcflowlogs_%s_%s_%s_%s.log.gz" % (ACCOUNT, REGION, FLOW_LOG_ID, stamp, suffix)
        body = (" ".join(V5) + "\n" + "".join(line(r, V5) + "\n" for r in part)).encode()
        with open(os.path.join(s3dir, name), "wb") as f:
            f.write(gzip.compress(body, compresslevel=9, mtime=0))
        s3files.append(os.path.relpath(os.path.join(s3dir, name), out))

    ok = [r for r in records if r["log-status"] == "OK"]
    manifest = {
        "generated_by": "sudo scripts/record-flowlogs.sh (scripts/flowlogs-from-pcap.py, scripts/flowlogs-parquet.mjs)",
        "aggregation_interval_s": INTERVAL,
        "recording": {"t0": a.t0, "t1": a.t1},
        "account_id": ACCOUNT, "region": REGION, "vpc_id": VPC,
        "interfaces": [{k: e[k] for k in ("id", "name", "pcap", "addrs", "subnet", "instance")} | {"mac": e["mac"].hex(":")} for e in ENIS]
                      + [{"id": IDLE_ENI["id"], "name": "idle", "subnet": IDLE_ENI["subnet"]}],
        "files": {"v2": "v2/lab.log", "v5": "v5/lab.log", "s3": s3files, "parquet": "parquet/lab.log.parquet",
                  "pcaps": {"server": "server.pcap", "server_drops_nflog": "server-drops.pcap", "natgw": "natgw.pcap"}},
        "v5_fields": V5,
        "records": len(records), "ok_records": len(ok),
        "reject_records": sum(1 for r in ok if r["action"] == "REJECT"),
        "nflog_drops_by_rule": dict(drop_rules),
        "coverage_gaps": [{"interface": r["interface-id"], "log_status": r["log-status"], "start": int(r["start"]), "end": int(r["end"])}
                          for r in records if r["log-status"] != "OK"],
        "choices": CHOICES,
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    write_readme(out, manifest, records)

def write_readme(out, m, records):
    ok = [r for r in records if r["log-status"] == "OK"]
    by = collections.Counter((r["interface-id"], r["flow-direction"], r["action"]) for r in ok)
    L = [
        "# Flow-log lab data",
        "",
        "VPC flow-log records made from real kernel traffic. **Everything here is generated** by",
        "",
        "    sudo scripts/record-flowlogs.sh",
        "",
        "which builds network namespaces (`acf-*`, all deleted on exit), runs clients against a server, records",
        "the server's eth0 (`server.pcap`), the packets the server's iptables dropped (`server-drops.pcap`, "
        "`tcpdump -i nflog:5`, each NFLOG prefix names the rule) and the NAT gateway's eth0 (`natgw.pcap`), then",
        "writes the records the two ENIs would have logged (`scripts/flowlogs-from-pcap.py`) and a Parquet copy",
        "(`scripts/flowlogs-parquet.mjs`, hyparquet-writer, GZIP pages, AWS's column names and types).",
        "ACCEPT/REJECT come from what the kernel dropped, not from any model of ours.",
        "",
        "Topology (see the script's header): clients `linux` 10.1.1.11 / fd01:1::11 (ports 32768-60999),",
        "`windows` 10.1.1.12 (49152-65535), `windows-xp` 10.1.1.13 (1025-5000), and `behind-nat` 10.1.3.11 whose",
        "traffic goes through a one-armed NAT gateway 10.1.2.20 (masquerade, random ports 1024-65535). The server",
        "10.1.2.10 / fd01:2::10 serves HTTP on tcp/80 and tcp/8080, DNS-shaped UDP on 53 and a line echo on tcp/7.",
        "Its stateless iptables rules, each with an NFLOG in front of the DROP:",
        "",
        "| rule (NFLOG prefix) | chain | matches | drops recorded |",
        "|---|---|---|---|",
        "| `ingress-deny-tcp-8080` | INPUT | tcp dport 8080 | %d |" % m["nflog_drops_by_rule"].get("ingress-deny-tcp-8080", 0),
        "| `egress-deny-dport-lt-32768` | OUTPUT -o eth0 | tcp/udp dport 0-32767 | %d |" % m["nflog_drops_by_rule"].get("egress-deny-dport-lt-32768", 0),
        "",
        "## Files",
        "",
        "| file | what |",
        "|---|---|",
        "| `v2/lab.log` | default format (version 2 fields in AWS's order), no header line |",
        "| `v5/lab.log` | custom version 5 format in a non-default order, with a header line: `%s` |" % " ".join(m["v5_fields"]),
        "| `s3/AWSLogs/%s/vpcflowlogs/%s/YYYY/MM/DD/*.log.gz` | the v5 records split in two gzip files, S3 layout and file names |" % (m["account_id"], m["region"]),
        "| `parquet/lab.log.parquet` | the v5 records as Parquet (GZIP pages), columns named as AWS names them (`tcp_flags`, ...) |",
        "| `server.pcap`, `server-drops.pcap`, `natgw.pcap` | the captures the records were made from |",
        "| `clients.log`, `server-rules.txt` | what each client saw; the server's rules with their counters after the run |",
        "| `manifest.json` | interfaces, files, counts, coverage gaps and the choices below |",
        "",
        "%d records: %d OK (%d REJECT), and the coverage gaps %s." % (
            m["records"], m["ok_records"], m["reject_records"],
            ", ".join("%s %s %d-%d" % (g["log_status"], g["interface"], g["start"], g["end"]) for g in m["coverage_gaps"])),
        "",
        "| interface | flow-direction | action | records |",
        "|---|---|---|---|",
    ]
    for (eni, d, act), n in sorted(by.items()):
        L.append("| `%s` | %s | %s | %d |" % (eni, d, act, n))
    L += ["", "## How the records were made (choices)", ""]
    L += ["- " + c for c in m["choices"]]
    L += ["", "Expected differences between these records and the pcaps: bytes are IP bytes (pcap lengths minus the",
          "14-byte Ethernet header); ARP and ICMPv6 ND/MLD are absent; egress REJECT packets are in the NFLOG capture",
          "only (they never reached eth0).", ""]
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("\n".join(L))

if __name__ == "__main__":
    main()
