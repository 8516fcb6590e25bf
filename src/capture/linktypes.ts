/** LINKTYPE_ values (https://www.tcpdump.org/linktypes.html) with the names tcpdump prints. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  PPP: 9,
  RAW_DLT12: 12,
  RAW_DLT14: 14,
  PPP_HDLC: 50,
  PPP_ETHER: 51,
  RAW: 101,
  C_HDLC: 104,
  IEEE802_11: 105,
  LOOP: 108,
  LINUX_SLL: 113,
  IEEE802_11_RADIOTAP: 127,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'EN10MB',
  9: 'PPP',
  10: 'FDDI',
  12: 'RAW',
  14: 'RAW',
  50: 'PPP_HDLC',
  51: 'PPP_ETHER',
  101: 'RAW',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  108: 'LOOP',
  113: 'LINUX_SLL',
  119: 'PRISM_HEADER',
  127: 'IEEE802_11_RADIO',
  143: 'DOCSIS',
  147: 'USER0',
  149: 'PKTAP',
  160: 'USER13',
  163: 'IEEE802_11_AVS',
  187: 'BLUETOOTH_HCI_H4',
  189: 'USB_LINUX',
  195: 'IEEE802_15_4',
  220: 'USB_LINUX_MMAPPED',
  228: 'IPV4',
  229: 'IPV6',
  249: 'NETLINK',
  252: 'WIRESHARK_UPPER_PDU',
  253: 'NETLINK',
  258: 'PKTAP',
  263: 'NETANALYZER',
  271: 'VSOCK',
  274: 'ETW',
  276: 'LINUX_SLL2',
  281: 'DSA_TAG_BRCM',
  282: 'DSA_TAG_BRCM_PREPEND',
  284: 'DSA_TAG_DSA',
  285: 'DSA_TAG_EDSA',
};

/** tcpdump's name for a link type, or LINKTYPE_<n>. */
export function linkTypeName(t: number): string {
  return NAMES[t] ?? `LINKTYPE_${t}`;
}

/** Link types the decoder understands down to IP. */
export function isDecodable(t: number): boolean {
  return (
    t === 0 || t === 1 || t === 9 || t === 10 || t === 12 || t === 14 || t === 50 || t === 51 || t === 101 || t === 104 ||
    t === 108 || t === 113 || t === 228 || t === 229 || t === 276
  );
}
