/**
 * IP protocol numbers (IANA "Assigned Internet Protocol Numbers"), shared by the IPv4 protocol field and the IPv6
 * next-header chain. The one definition: ipv4.ts, ipv6.ts and the decoder use these.
 */
export const IpProtocol = {
  HOPOPT: 0, // IPv6 hop-by-hop options
  ICMP: 1,
  IGMP: 2,
  IPIP: 4, // IPv4 encapsulation (RFC 2003)
  TCP: 6,
  UDP: 17,
  DCCP: 33,
  IPV6: 41, // IPv6 encapsulation (RFC 4213: 6in4, RFC 2473: 6in6)
  IPV6_ROUTE: 43,
  IPV6_FRAG: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  IPV6_NONXT: 59,
  IPV6_OPTS: 60,
  SCTP: 132,
  UDPLITE: 136,
  MOBILITY: 135,
  HIP: 139,
  SHIM6: 140,
} as const;

/** True for protocols whose first four transport bytes are source and destination ports. */
export function hasPorts(proto: number): boolean {
  return proto === IpProtocol.TCP || proto === IpProtocol.UDP || proto === IpProtocol.SCTP || proto === IpProtocol.DCCP || proto === IpProtocol.UDPLITE;
}

/** True for ICMP and ICMPv6. */
export function isIcmp(proto: number): boolean {
  return proto === IpProtocol.ICMP || proto === IpProtocol.ICMPV6;
}
