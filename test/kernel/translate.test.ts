/** The ACL -> iptables translation on literal ACLs: the exact command lines, and what cannot be translated. */
import { describe, expect, it } from 'vitest';
import { parseAclText } from '../../src/acl/load.js';
import { commandLines, restoreInput, translateAcl, UntranslatableRuleError } from './translate.js';

const ACL = `
id: web
inbound:
  - { rule: 90, proto: tcp, ports: 443, cidr: 203.0.113.0/24, action: deny }
  - { rule: 100, proto: tcp, ports: 80, cidr: 0.0.0.0/0, action: allow }
  - { rule: 101, proto: tcp, ports: 80, cidr: "::/0", action: allow }
  - { rule: 110, proto: udp, ports: 53, cidr: 10.0.0.0/8, action: allow }
  - { rule: 120, proto: icmp, icmp: { type: 8, code: 0 }, cidr: 0.0.0.0/0, action: allow }
  - { rule: 121, proto: icmpv6, icmp: { type: 128 }, cidr: "2001:db8::/32", action: allow }
  - { rule: 130, proto: 47, cidr: 198.51.100.7/32, action: allow }
  - { rule: 140, proto: all, cidr: 192.0.2.0/24, action: deny }
outbound:
  - { rule: 50, proto: tcp, ports: 40000-40999, cidr: 0.0.0.0/0, action: deny }
  - { rule: 100, proto: tcp, ports: 1024-65535, cidr: 0.0.0.0/0, action: allow }
  - { rule: 101, proto: all, cidr: "::/0", action: allow }
  - { rule: 110, proto: udp, ports: 32768-65535, cidr: 10.0.1.0/24, action: allow }
  - { rule: 120, proto: icmp, cidr: 0.0.0.0/0, action: allow }
`;

describe('translateAcl', () => {
  const [acl] = parseAclText(ACL, 'web.yaml');
  const rs = translateAcl(acl!, { iface: 'eth0', nflogGroup: 5, subnets: ['10.0.2.0/24', 'fd00:2::/64'] });

  it('gives these iptables and ip6tables commands, in this order', () => {
    expect(commandLines(rs)).toEqual([
      'iptables -N nacl-ingress',
      'iptables -N nacl-egress',
      'iptables -A INPUT -i eth0 -j nacl-ingress',
      'iptables -A OUTPUT -o eth0 -j nacl-egress',
      'iptables -A nacl-ingress -s 10.0.2.0/24 -j ACCEPT',
      'iptables -A nacl-ingress -p tcp -s 203.0.113.0/24 --dport 443 -j NFLOG --nflog-group 5 --nflog-prefix nacl:ingress:90',
      'iptables -A nacl-ingress -p tcp -s 203.0.113.0/24 --dport 443 -j DROP',
      'iptables -A nacl-ingress -p tcp --dport 80 -j ACCEPT',
      'iptables -A nacl-ingress -p udp -s 10.0.0.0/8 --dport 53 -j ACCEPT',
      'iptables -A nacl-ingress -p icmp --icmp-type 8/0 -j ACCEPT',
      'iptables -A nacl-ingress -p 47 -s 198.51.100.7/32 -j ACCEPT',
      'iptables -A nacl-ingress -s 192.0.2.0/24 -j NFLOG --nflog-group 5 --nflog-prefix nacl:ingress:140',
      'iptables -A nacl-ingress -s 192.0.2.0/24 -j DROP',
      "iptables -A nacl-ingress -j NFLOG --nflog-group 5 --nflog-prefix 'nacl:ingress:*'",
      'iptables -A nacl-ingress -j DROP',
      'iptables -A nacl-egress -d 10.0.2.0/24 -j ACCEPT',
      'iptables -A nacl-egress -p tcp --dport 40000:40999 -j NFLOG --nflog-group 5 --nflog-prefix nacl:egress:50',
      'iptables -A nacl-egress -p tcp --dport 40000:40999 -j DROP',
      'iptables -A nacl-egress -p tcp --dport 1024:65535 -j ACCEPT',
      'iptables -A nacl-egress -p udp -d 10.0.1.0/24 --dport 32768:65535 -j ACCEPT',
      'iptables -A nacl-egress -p icmp -j ACCEPT',
      "iptables -A nacl-egress -j NFLOG --nflog-group 5 --nflog-prefix 'nacl:egress:*'",
      'iptables -A nacl-egress -j DROP',
      'ip6tables -N nacl-ingress',
      'ip6tables -N nacl-egress',
      'ip6tables -A INPUT -i eth0 -j nacl-ingress',
      'ip6tables -A OUTPUT -o eth0 -j nacl-egress',
      'ip6tables -A nacl-ingress -s fd00:2::/64 -j ACCEPT',
      'ip6tables -A nacl-ingress -s fe80::/10 -j ACCEPT',
      'ip6tables -A nacl-ingress -d ff00::/8 -j ACCEPT',
      'ip6tables -A nacl-ingress -p ipv6-icmp --icmpv6-type 133 -j ACCEPT',
      'ip6tables -A nacl-ingress -p ipv6-icmp --icmpv6-type 134 -j ACCEPT',
      'ip6tables -A nacl-ingress -p ipv6-icmp --icmpv6-type 135 -j ACCEPT',
      'ip6tables -A nacl-ingress -p ipv6-icmp --icmpv6-type 136 -j ACCEPT',
      'ip6tables -A nacl-ingress -p tcp --dport 80 -j ACCEPT',
      'ip6tables -A nacl-ingress -p ipv6-icmp -s 2001:db8::/32 --icmpv6-type 128 -j ACCEPT',
      "ip6tables -A nacl-ingress -j NFLOG --nflog-group 5 --nflog-prefix 'nacl:ingress:*'",
      'ip6tables -A nacl-ingress -j DROP',
      'ip6tables -A nacl-egress -d fd00:2::/64 -j ACCEPT',
      'ip6tables -A nacl-egress -d fe80::/10 -j ACCEPT',
      'ip6tables -A nacl-egress -d ff00::/8 -j ACCEPT',
      'ip6tables -A nacl-egress -p ipv6-icmp --icmpv6-type 133 -j ACCEPT',
      'ip6tables -A nacl-egress -p ipv6-icmp --icmpv6-type 134 -j ACCEPT',
      'ip6tables -A nacl-egress -p ipv6-icmp --icmpv6-type 135 -j ACCEPT',
      'ip6tables -A nacl-egress -p ipv6-icmp --icmpv6-type 136 -j ACCEPT',
      'ip6tables -A nacl-egress -j ACCEPT',
      "ip6tables -A nacl-egress -j NFLOG --nflog-group 5 --nflog-prefix 'nacl:egress:*'",
      'ip6tables -A nacl-egress -j DROP',
    ]);
  });

  it('no conntrack, state or any other stateful match anywhere', () => {
    for (const line of commandLines(rs)) expect(line).not.toMatch(/conntrack|--state|--ctstate|-m state|recent|connlimit/);
  });

  it('iptables-restore input declares the chains and replaces the filter table in one COMMIT', () => {
    const text = restoreInput(rs.iptables);
    expect(text.split('\n').slice(0, 6)).toEqual(['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':nacl-ingress - [0:0]', ':nacl-egress - [0:0]']);
    expect(text).toContain('\n-A nacl-egress -j NFLOG --nflog-group 5 --nflog-prefix nacl:egress:*\n');
    expect(text.endsWith('COMMIT\n')).toBe(true);
  });

  it('without subnets only the IPv6 link-local, multicast and neighbour-discovery exemptions remain', () => {
    const lines = commandLines(translateAcl(acl!, { iface: 'veth1', nflogGroup: 9, chainPrefix: 'x' }));
    expect(lines.filter((l) => l.endsWith('-j ACCEPT') && /-[sd] (fe80|ff00|10\.0\.2|fd00)|--icmpv6-type 13[3-6] /.test(l))).toEqual([
      'ip6tables -A x-ingress -s fe80::/10 -j ACCEPT',
      'ip6tables -A x-ingress -d ff00::/8 -j ACCEPT',
      'ip6tables -A x-ingress -p ipv6-icmp --icmpv6-type 133 -j ACCEPT',
      'ip6tables -A x-ingress -p ipv6-icmp --icmpv6-type 134 -j ACCEPT',
      'ip6tables -A x-ingress -p ipv6-icmp --icmpv6-type 135 -j ACCEPT',
      'ip6tables -A x-ingress -p ipv6-icmp --icmpv6-type 136 -j ACCEPT',
      'ip6tables -A x-egress -d fe80::/10 -j ACCEPT',
      'ip6tables -A x-egress -d ff00::/8 -j ACCEPT',
      'ip6tables -A x-egress -p ipv6-icmp --icmpv6-type 133 -j ACCEPT',
      'ip6tables -A x-egress -p ipv6-icmp --icmpv6-type 134 -j ACCEPT',
      'ip6tables -A x-egress -p ipv6-icmp --icmpv6-type 135 -j ACCEPT',
      'ip6tables -A x-egress -p ipv6-icmp --icmpv6-type 136 -j ACCEPT',
    ]);
    expect(lines).toContain('iptables -A INPUT -i veth1 -j x-ingress');
  });

  it('refuses protocol 0 (iptables reads -p 0 as all) and ICMP types on IPv6 protocol 1', () => {
    const [p0] = parseAclText('id: a\ninbound: [{ rule: 1, proto: 0, cidr: 0.0.0.0/0, action: deny }]\n', 'a.yaml');
    expect(() => translateAcl(p0!, { iface: 'eth0', nflogGroup: 1 })).toThrow(UntranslatableRuleError);
    const [i6] = parseAclText('id: a\ninbound: [{ rule: 1, proto: icmp, icmp: { type: 8 }, cidr: "::/0", action: allow }]\n', 'a.yaml');
    expect(() => translateAcl(i6!, { iface: 'eth0', nflogGroup: 1 })).toThrow(/ingress rule 1: ICMP type on protocol 1 over IPv6/);
  });
});
